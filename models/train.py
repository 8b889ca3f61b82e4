#!/usr/bin/env python3
"""Train GasQ's station demand-shape model and export it as ONNX for tract.

Pipeline (see README.md, the model card, for the contract it implements):
  1. Read Capital Bikeshare hourly 2011 (UCI Bike Sharing, via the ISLP wheel).
  2. Write it as the backtest history `bikeshare-2011.csv`
     (timestamp,arrivals,temp_c,humidity,rain_mm,holiday) and read it back, so
     features are built from exactly the rows the Rust side reads.
  3. Target: shape = arrivals / level (level = mean hourly arrivals over the
     trailing 28 days before the row's week); fit an MLP on log(shape + EPS).
  4. Export an ONNX graph by hand with onnx.helper (Sub, Div, MatMul, Add,
     Relu, Exp only), check it against sklearn with onnxruntime.
  5. Backtest with the cloud's level algorithm against seasonal-naive, and write
     demand.expected.json and backtest.expected.json for the Rust tests.

Usage: python models/train.py [--data PATH_TO_Bikeshare.csv_OR_ISLP_WHEEL]
"""
import os

# One BLAS thread: multi-threaded reductions may sum in a different order and
# change the last bits of the weights between runs.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import hashlib
import io
import json
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
from onnx import TensorProto, helper, numpy_helper
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

HERE = Path(__file__).resolve().parent
ISLP_PIN = "ISLP==0.6.0"
CSV_IN_WHEEL = "ISLP/data/Bikeshare.csv"
CSV_SHA256 = "ac6950ae6f11efcc69c29d6bb13e8881c001e27d36434660d59444a1414f712c"
START = pd.Timestamp("2011-01-01T00:00:00")  # the history's first midnight
# The cloud only knows rain in mm; Bikeshare only has a weather category.
RAIN_MM = {"clear": 0.0, "cloudy/misty": 0.0, "light rain/snow": 1.0, "heavy rain/snow": 10.0}
N_FEATURES = 35  # 24 hour + 7 weekday + holiday + temp_c + humidity + rain_mm
SCALED = slice(32, 35)  # columns the graph standardises (Sub mean, Div std)
EPS = 0.01  # log(shape + EPS): night hours have shape ~0.01-0.05, keep them finite
HOLDOUT_FIRST_WEEK = 44  # weeks 44..52 = 2011-11-05 .. 2011-12-31 are never trained on
LEVEL_DAYS = 28
SEED = 0
HIDDEN = 32
ALPHA = 1e-2
ALLOWED_OPS = {"Sub", "Div", "MatMul", "Add", "Relu", "Exp"}


def bikeshare_csv_bytes(path):
    """Return the raw Bikeshare.csv bytes from a CSV, an ISLP wheel, or a fresh download.

    Without a path the pinned ISLP wheel is fetched once with pip into
    models/.downloads/ (gitignored). The content hash is checked either way.
    """
    if path is None:
        dl = HERE / ".downloads"
        wheels = sorted(dl.glob("[Ii][Ss][Ll][Pp]-0.6.0-*.whl"))
        if not wheels:
            subprocess.run([sys.executable, "-m", "pip", "download", ISLP_PIN,
                            "--no-deps", "-d", str(dl)], check=True)
            wheels = sorted(dl.glob("[Ii][Ss][Ll][Pp]-0.6.0-*.whl"))
        path = wheels[0]
    path = Path(path)
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as zf:
            data = zf.read(CSV_IN_WHEEL)
    else:
        data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != CSV_SHA256:
        raise SystemExit(f"Bikeshare.csv sha256 {digest} != pinned {CSV_SHA256}")
    return data


def bikeshare_history(data):
    """Map Bikeshare rows to the backtest format (one row per present hour).

    `day` is the day of year (1 = 2011-01-01) and `hr` the hour; absent hours
    stay absent. The file's weekday is 0 = Sunday (checked against the calendar
    here); the feature layout uses the calendar's own Monday = 0.
    """
    d = pd.read_csv(io.BytesIO(data))
    ts = START + pd.to_timedelta(d["day"] - 1, unit="D") + pd.to_timedelta(d["hr"].astype(int), unit="h")
    assert START.day_name() == "Saturday" and d["weekday"].iloc[0] == 6
    assert ((ts.dt.day_of_week + 1) % 7 == d["weekday"]).all(), "weekday encoding is not 0=Sunday"
    assert ts.is_unique and ts.is_monotonic_increasing
    unknown = set(d["weathersit"]) - set(RAIN_MM)
    assert not unknown, f"unknown weathersit {unknown}"
    return pd.DataFrame({
        "timestamp": ts.dt.strftime("%Y-%m-%dT%H:%M:%S"),
        "arrivals": d["bikers"].astype(int),
        "temp_c": (d["temp"] * 41).map(lambda v: f"{v:.2f}"),  # temp is °C / 41
        "humidity": (d["hum"] * 100).map(lambda v: f"{v:.0f}"),  # hum is a fraction
        "rain_mm": d["weathersit"].map(RAIN_MM).map(lambda v: f"{v:.1f}"),
        "holiday": d["holiday"].astype(int),
    })


def read_history(path):
    """Read a backtest CSV the way the Rust CLI does: naive local timestamps, numbers."""
    h = pd.read_csv(path)
    h["timestamp"] = pd.to_datetime(h["timestamp"], format="%Y-%m-%dT%H:%M:%S")
    return h


def features(h):
    """Build the [N, 35] float32 feature matrix from raw rows (the Rust contract).

    0..24 hour one-hot, 24..31 weekday one-hot (Monday = 0), 31 holiday,
    32 temp_c, 33 humidity (%), 34 rain_mm -- the last three raw: the graph
    standardises them. Numbers are parsed as f64 then rounded to f32.
    """
    n = len(h)
    x = np.zeros((n, N_FEATURES), dtype=np.float32)
    rows = np.arange(n)
    x[rows, h["timestamp"].dt.hour.to_numpy()] = 1.0
    x[rows, 24 + h["timestamp"].dt.day_of_week.to_numpy()] = 1.0
    x[:, 31] = h["holiday"].to_numpy(np.float64)
    x[:, 32] = h["temp_c"].to_numpy(np.float64)
    x[:, 33] = h["humidity"].to_numpy(np.float64)
    x[:, 34] = h["rain_mm"].to_numpy(np.float64)
    return x


def day_and_week(h):
    """Whole days since the first midnight, and the 7-day block each row is in."""
    days = ((h["timestamp"] - START) // pd.Timedelta(days=1)).to_numpy()
    return days, days // 7


def level_windows(days, weeks):
    """Yield (week, rows of that week, rows of its trailing level window) for w >= 1.

    The window is the previous min(28, 7w) days before the week's first midnight;
    week 0 only seeds it.
    """
    for w in range(1, int(weeks.max()) + 1):
        lo = max(0, 7 * w - LEVEL_DAYS)
        yield w, weeks == w, (days >= lo) & (days < 7 * w)


def training_target(h):
    """shape = arrivals / (mean hourly arrivals in the trailing window); NaN in week 0.

    Dividing by a trailing level removes the slow growth and seasonality of the
    network's size, so the model learns a level-free daily/weekly shape.
    """
    days, weeks = day_and_week(h)
    y = h["arrivals"].to_numpy(np.float64)
    level = np.full(len(h), np.nan)
    for _, in_week, window in level_windows(days, weeks):
        level[in_week] = y[window].mean()
    return y / level


def train(x, target, train_rows):
    """Fit the MLP on standardised features and log(shape + EPS).

    Returns the model and the per-column mean/std (0/1 for one-hot columns) that
    the ONNX graph applies itself.
    """
    mean = np.zeros(N_FEATURES)
    std = np.ones(N_FEATURES)
    mean[SCALED] = x[train_rows, SCALED].astype(np.float64).mean(axis=0)
    std[SCALED] = x[train_rows, SCALED].astype(np.float64).std(axis=0)
    mean, std = mean.astype(np.float32), std.astype(np.float32)
    xs = (x - mean) / std
    mlp = MLPRegressor(hidden_layer_sizes=(HIDDEN,), activation="relu", alpha=ALPHA,
                       max_iter=1000, random_state=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # fail loudly if it didn't converge
        mlp.fit(xs[train_rows], np.log(target[train_rows] + EPS))
    return mlp, mean, std


def sklearn_shape(mlp, x, mean, std):
    """The model's output computed by sklearn (the reference for the ONNX check)."""
    return np.exp(mlp.predict((x - mean) / std))


def export_onnx(mlp, mean, std, path):
    """Write the graph: features -> Sub -> Div -> MatMul/Add -> Relu -> MatMul/Add -> Exp."""
    w1, w2 = (c.astype(np.float32) for c in mlp.coefs_)
    b1, b2 = (c.astype(np.float32) for c in mlp.intercepts_)
    inits = [numpy_helper.from_array(a, name) for a, name in
             [(mean, "feature_mean"), (std, "feature_std"), (w1, "w1"), (b1, "b1"),
              (w2, "w2"), (b2, "b2")]]
    nodes = [
        helper.make_node("Sub", ["features", "feature_mean"], ["centred"], name="centre"),
        helper.make_node("Div", ["centred", "feature_std"], ["scaled"], name="scale"),
        helper.make_node("MatMul", ["scaled", "w1"], ["h1_mm"], name="dense1"),
        helper.make_node("Add", ["h1_mm", "b1"], ["h1_pre"], name="dense1_bias"),
        helper.make_node("Relu", ["h1_pre"], ["h1"], name="relu1"),
        helper.make_node("MatMul", ["h1", "w2"], ["out_mm"], name="dense2"),
        helper.make_node("Add", ["out_mm", "b2"], ["log_shape"], name="dense2_bias"),
        helper.make_node("Exp", ["log_shape"], ["shape"], name="exp"),
    ]
    graph = helper.make_graph(
        nodes, "gasq_demand_shape",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", N_FEATURES])],
        [helper.make_tensor_value_info("shape", TensorProto.FLOAT, ["N", 1])],
        inits)
    model = helper.make_model(graph, producer_name="gasq-models-train.py",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # the IR version that goes with opset 17; older readers accept it
    model.doc_string = "Hourly demand shape (relative, level-free); see models/README.md"
    onnx.checker.check_model(model, full_check=True)
    ops = sorted({n.op_type for n in model.graph.node})
    assert set(ops) <= ALLOWED_OPS, ops
    onnx.save(model, path)
    return ops


def onnx_shape(path, x):
    """Run the exported file with onnxruntime; returns float32 [N]."""
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(["shape"], {"features": x})[0][:, 0]


def backtest(h, shape, week_set):
    """Level-scaled model vs seasonal-naive, on the hours of the weeks in week_set.

    For each week w >= 1: level_w = sum(arrivals) / sum(shape) over the present
    hours of the previous min(28, 7w) days; prediction = level_w * shape.
    Seasonal-naive = arrivals at the same wall-clock time 7 days earlier; hours
    where that is absent are skipped for both. Sums in f64 of the f32 shape.
    """
    days, weeks = day_and_week(h)
    y = h["arrivals"].to_numpy(np.float64)
    s = shape.astype(np.float64)
    pred = np.full(len(h), np.nan)
    levels = {}
    for w, in_week, window in level_windows(days, weeks):
        levels[w] = y[window].sum() / s[window].sum()
        pred[in_week] = levels[w] * s[in_week]
    by_time = pd.Series(y, index=h["timestamp"])
    naive = by_time.reindex(h["timestamp"] - pd.Timedelta(days=7)).to_numpy()
    keep = np.isin(weeks, sorted(week_set)) & (weeks >= 1) & ~np.isnan(naive)

    def errors(p):
        e = p[keep] - y[keep]
        return {"mae": float(np.abs(e).mean()), "rmse": float(np.sqrt((e * e).mean()))}

    model, base = errors(pred), errors(naive)
    return {"hours": int(keep.sum()), "model": model, "seasonal_naive": base,
            "mae_ratio": model["mae"] / base["mae"],
            "levels": {str(w): levels[w] for w in sorted(week_set) if w in levels}}


# Fixed raw rows for the Rust feature/inference test: night, peaks, weekend,
# holidays, rain at a peak, the one heavy-rain hour, the coldest and a hot hour.
EXPECTED_TIMESTAMPS = [
    "2011-01-01T00:00:00", "2011-01-17T08:00:00", "2011-01-22T07:00:00",
    "2011-01-26T16:00:00", "2011-02-01T08:00:00", "2011-02-08T03:00:00",
    "2011-04-19T17:00:00", "2011-05-14T14:00:00", "2011-07-04T12:00:00",
    "2011-07-22T15:00:00", "2011-11-24T10:00:00", "2011-12-26T19:00:00",
]


def expected_rows(h, x, path):
    """Raw rows, their feature vectors and onnxruntime's output, for demand.expected.json."""
    stamps = h["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    idx = [int(np.flatnonzero(stamps == t)[0]) for t in EXPECTED_TIMESTAMPS]
    # One synthetic row too: heavy rain on a winter weekday evening.
    extra = pd.DataFrame([{"timestamp": pd.Timestamp("2011-12-14T18:00:00"), "arrivals": 0,
                           "temp_c": 2.5, "humidity": 93.0, "rain_mm": 10.0, "holiday": 0}])
    rows = pd.concat([h.iloc[idx], extra], ignore_index=True)
    fx = features(rows)
    assert np.array_equal(fx[:len(idx)], x[idx])
    out = onnx_shape(path, fx)
    return [{"raw": {"timestamp": r.timestamp.strftime("%Y-%m-%dT%H:%M:%S"),
                     "temp_c": float(r.temp_c), "humidity": float(r.humidity),
                     "rain_mm": float(r.rain_mm), "holiday": int(r.holiday)},
             "features": [float(v) for v in fx[i]],
             "shape": float(out[i])}
            for i, r in enumerate(rows.itertuples())]


def write_json(path, obj):
    """Stable JSON (sorted keys kept as written, fixed indentation, newline at end)."""
    path.write_text(json.dumps(obj, indent=2) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="Bikeshare.csv or the ISLP 0.6.0 wheel (default: pip download)")
    ap.add_argument("--out", default=str(HERE), help="output folder (default: models/)")
    args = ap.parse_args()
    out = Path(args.out)
    onnx_path = out / "demand.onnx"

    csv_path = out / "bikeshare-2011.csv"
    bikeshare_history(bikeshare_csv_bytes(args.data)).to_csv(csv_path, index=False, lineterminator="\n")
    h = read_history(csv_path)
    x = features(h)
    target = training_target(h)
    _, weeks = day_and_week(h)
    train_rows = (weeks >= 1) & (weeks < HOLDOUT_FIRST_WEEK)
    held_out = set(range(HOLDOUT_FIRST_WEEK, int(weeks.max()) + 1))

    mlp, mean, std = train(x, target, train_rows)
    ops = export_onnx(mlp, mean, std, onnx_path)
    shape = onnx_shape(onnx_path, x)
    ref = sklearn_shape(mlp, x, mean, std)
    max_rel = float(np.max(np.abs(shape - ref) / ref))
    assert max_rel < 1e-4, max_rel

    whole = backtest(h, shape, set(range(1, int(weeks.max()) + 1)))
    held = backtest(h, shape, held_out)
    write_json(out / "backtest.expected.json", {
        "history": csv_path.name, "model_file": onnx_path.name,
        "weeks_from": "2011-01-01T00:00:00", "level_days": LEVEL_DAYS,
        "weeks": "all w >= 1 (week 0 only seeds the level)",
        "tolerance_relative": 1e-6,
        **whole,
        # The same algorithm, scoring only the held-out weeks (levels as above).
        "held_out": {"weeks": [HOLDOUT_FIRST_WEEK, max(held_out)],
                     **{k: v for k, v in held.items() if k != "levels"}},
    })
    write_json(out / "demand.expected.json", {
        "model_file": onnx_path.name, "input": "features", "output": "shape",
        "feature_count": N_FEATURES, "tolerance_relative": 1e-4,
        "rows": expected_rows(h, x, onnx_path),
    })

    first_ho = (START + pd.Timedelta(days=7 * HOLDOUT_FIRST_WEEK)).date()
    print(f"rows {len(h)}  train rows {int(train_rows.sum())}  epochs {mlp.n_iter_}")
    print(f"onnx {onnx_path.name}: {onnx_path.stat().st_size} bytes, ops {ops}, "
          f"max rel diff vs sklearn {max_rel:.2e}")
    print(f"scaling (in graph) mean {mean[SCALED].tolist()} std {std[SCALED].tolist()}")
    for name, r in [(f"held-out weeks {HOLDOUT_FIRST_WEEK}-{max(held_out)} (from {first_ho})", held),
                    ("whole year, weeks 1-52", whole)]:
        m, b = r["model"], r["seasonal_naive"]
        print(f"{name}: {r['hours']} h  model MAE {m['mae']:.3f} RMSE {m['rmse']:.3f}  "
              f"naive MAE {b['mae']:.3f} RMSE {b['rmse']:.3f}  ratio {r['mae_ratio']:.4f}")
    assert held["mae_ratio"] <= 0.80, "model must beat seasonal-naive by 20% on held-out weeks"


if __name__ == "__main__":
    main()
