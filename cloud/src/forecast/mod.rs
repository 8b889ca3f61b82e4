//! The demand forecast (docs/architecture.md, "Capacity and forecasts"; the model card
//! is `models/README.md`): the ONNX model gives the *shape* of an hour's demand from
//! its hour, weekday, holiday and weather; a station's level — fitted from its own
//! arrivals — turns shapes into expected arrivals.
//!
//! [`features`] builds the model's input exactly as the training pipeline does,
//! [`level`] fits a station's level, [`history`] reads a history file and [`backtest`] replays it as the cloud would.

pub mod backtest;
pub mod features;
pub mod history;
pub mod level;

use std::path::Path;

use tract_onnx::prelude::*;

pub use features::{FEATURES, HourInput};

/// The model trained by `models/train.py`, compiled in.
const BUILT_IN: &[u8] = include_bytes!("../../../models/demand.onnx");

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read the forecast model {path}: {reason}")]
    Read {
        path: String,
        reason: std::io::Error,
    },
    #[error(
        "the forecast model {0} does not load: {1} (it must take `features` [N, {FEATURES}] float32 and give `shape` [N, 1], as models/train.py exports it)"
    )]
    Load(String, String),
    #[error("the forecast model failed to run: {0}")]
    Run(String),
}

type Plan = TypedRunnableModel<TypedModel>;

/// The loaded, optimised model. Cheap to share: runs take `&self`.
pub struct DemandModel {
    plan: Plan,
    /// Where it came from, for logs and errors.
    pub source: String,
}

impl std::fmt::Debug for DemandModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DemandModel({})", self.source)
    }
}

impl DemandModel {
    /// The configured file, else the built-in model.
    pub fn load(path: Option<&Path>) -> Result<Self, ModelError> {
        match path {
            Some(p) => {
                let name = p.display().to_string();
                let bytes = std::fs::read(p).map_err(|reason| ModelError::Read {
                    path: name.clone(),
                    reason,
                })?;
                Self::from_bytes(&bytes, name)
            }
            None => Self::from_bytes(BUILT_IN, "built-in models/demand.onnx".into()),
        }
    }

    fn from_bytes(bytes: &[u8], source: String) -> Result<Self, ModelError> {
        let load = |e: TractError| ModelError::Load(source.clone(), format!("{e:#}"));
        let plan = tract_onnx::onnx()
            .model_for_read(&mut &bytes[..])
            .map_err(load)?
            // The file declares `features` as [N, 35] with N symbolic: any batch runs.
            .into_optimized()
            .map_err(load)?
            .into_runnable()
            .map_err(load)?;
        let model = Self { plan, source };
        // A file that loads but answers in another shape is refused now, not at the
        // first forecast.
        let probe = model
            .shapes(&[[0.0; FEATURES]])
            .map_err(|e| ModelError::Load(model.source.clone(), e.to_string()))?;
        if probe.len() != 1 || !probe[0].is_finite() {
            return Err(ModelError::Load(
                model.source.clone(),
                format!("it answered {probe:?} for one row"),
            ));
        }
        Ok(model)
    }

    /// The model's shape for each row of features.
    pub fn shapes(&self, rows: &[[f32; FEATURES]]) -> Result<Vec<f32>, ModelError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let flat: Vec<f32> = rows.iter().flatten().copied().collect();
        let input = tract_ndarray::Array2::from_shape_vec((rows.len(), FEATURES), flat)
            .map_err(|e| ModelError::Run(e.to_string()))?;
        let out = self
            .plan
            .run(tvec!(Tensor::from(input).into()))
            .map_err(|e| ModelError::Run(format!("{e:#}")))?;
        let view = out[0]
            .to_array_view::<f32>()
            .map_err(|e| ModelError::Run(format!("{e:#}")))?;
        let shapes: Vec<f32> = view.iter().copied().collect();
        if shapes.len() != rows.len() {
            return Err(ModelError::Run(format!(
                "{} outputs for {} rows",
                shapes.len(),
                rows.len()
            )));
        }
        Ok(shapes)
    }
}
