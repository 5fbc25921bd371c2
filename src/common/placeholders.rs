//! Filling the `{name}` placeholders of a sentence with values: every worded text with numbers in it (the web UI's
//! phrase tables, the score explanation) is written as a whole sentence per language, so that each language orders
//! its words itself, and filled here.

/// `template` with each `{name}` replaced by its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_by_name() {
        assert_eq!(fill("{a} then {b}, {a}", &[("a", "x"), ("b", "y")]), "x then y, x");
    }
}
