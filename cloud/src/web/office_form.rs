//! The back office's settings form as posted (text fields, rupees and kg as people
//! type them) and the station changes it asks for.

use serde::Deserialize;

use crate::app::stations::StationChanges;

/// The settings form as posted: every field text, empty = unchanged.
#[derive(Debug, Default, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    fill_to_full_kg: String,
    #[serde(default)]
    refund_cutoff_minutes: String,
    #[serde(default)]
    cancel_fee: String,
    #[serde(default)]
    calm_discount: String,
    #[serde(default)]
    walkin_share: String,
    #[serde(default)]
    min_bookable: String,
    #[serde(default)]
    wait_target: String,
    #[serde(default)]
    reminder_lead: String,
}

/// A number the form holds, `None` when left empty; `Err(field)` when it is not one.
fn number<'a>(text: &str, field: &'a str) -> Result<Option<f64>, &'a str> {
    let text = text.trim().replace(',', ".");
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<f64>() {
        Ok(n) if (0.0..1e9).contains(&n) => Ok(Some(n)),
        _ => Err(field),
    }
}

impl SettingsForm {
    /// The changes the form asks for, or the label of the first field that is no number.
    pub fn changes(&self) -> Result<StationChanges, &'static str> {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // bounded above
        let (paise, small) = (
            |n: f64| (n * 100.0).round() as i64,
            |n: f64| n.round().min(f64::from(u16::MAX)) as u16,
        );
        Ok(StationChanges {
            price_paise_per_kg: number(&self.price, "web-price")?.map(paise),
            fill_to_full_centikg: number(&self.fill_to_full_kg, "web-fill-to-full")?
                .map(|kg| small(kg * 100.0)),
            refund_cutoff_minutes: number(&self.refund_cutoff_minutes, "web-refund-cutoff")?
                .map(|m| m.round() as i64),
            cancel_fee_paise: number(&self.cancel_fee, "web-cancel-fee")?.map(paise),
            calm_discount_paise_per_kg: number(&self.calm_discount, "web-calm-discount")?
                .map(paise),
            walkin_reserve_share_percent: number(&self.walkin_share, "web-walkin-share")?
                .map(small),
            min_bookable_places: number(&self.min_bookable, "web-min-bookable")?.map(small),
            wait_target_minutes: number(&self.wait_target, "web-wait-target")?.map(small),
            reminder_lead_minutes: number(&self.reminder_lead, "web-reminder-lead")?.map(small),
            ..StationChanges::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_reads_rupees_kg_and_leaves_empty_fields_alone() {
        let f = SettingsForm {
            price: "77,50".into(),
            fill_to_full_kg: "10".into(),
            cancel_fee: String::new(),
            ..SettingsForm::default()
        };
        let c = f.changes().unwrap();
        assert_eq!(c.price_paise_per_kg, Some(7_750));
        assert_eq!(c.fill_to_full_centikg, Some(1_000));
        assert_eq!(c.cancel_fee_paise, None);
        let bad = SettingsForm {
            wait_target: "soon".into(),
            ..SettingsForm::default()
        };
        assert_eq!(bad.changes().unwrap_err(), "web-wait-target");
        let negative = SettingsForm {
            price: "-1".into(),
            ..SettingsForm::default()
        };
        assert_eq!(negative.changes().unwrap_err(), "web-price");
    }
}
