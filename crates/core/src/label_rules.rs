//! The rules a new label's texts must follow, shared by the labels API (S2, S3) and fixtures.

/// Longest `name`, `label` or `inverseLabel` accepted.
pub const MAX_TEXT: usize = 255;

/// A broken rule: the field (`name`, `label`, `inverseLabel`) and what is wrong with it.
pub type RuleError = (&'static str, String);

/// `label` and `inverseLabel`: not blank, at most `MAX_TEXT` characters.
pub fn check_text(field: &'static str, value: &str) -> Result<(), RuleError> {
    if value.trim().is_empty() {
        return Err((field, format!("{field} must not be empty")));
    }
    if value.chars().count() > MAX_TEXT {
        return Err((
            field,
            format!("{field} must be at most {MAX_TEXT} characters"),
        ));
    }
    Ok(())
}

/// The internal `name`: a text as above, without a hyphen, not starting with a digit.
pub fn check_name(name: &str) -> Result<(), RuleError> {
    check_text("name", name)?;
    if name.contains('-') {
        return Err(("name", format!("name '{name}' must not contain a hyphen")));
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(("name", format!("name '{name}' must not start with a digit")));
    }
    Ok(())
}

/// Every rule of a label to be created.
pub fn check_new(name: &str, label: &str, inverse_label: Option<&str>) -> Result<(), RuleError> {
    check_text("name", name)?;
    check_text("label", label)?;
    if let Some(inv) = inverse_label {
        check_text("inverseLabel", inv)?;
    }
    check_name(name)
}
