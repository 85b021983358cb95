//! The few helpers a template author needs, and no more: a PowerShell literal (for documents
//! that show a command), the date part of a timestamp, and an OWA identity.

use handlebars::{handlebars_helper, Handlebars};

use super::powershell::single_quoted;
use super::Kind;

// `{{ps value}}`: the PowerShell literal of a value, for a plan that shows a command. In a
// script every value already is one, so the helper exists only for documents.
handlebars_helper!(ps: |value: str| single_quoted(value).unwrap_or_else(|_| "''".to_string()));

// `{{date certificate.not_after}}`: `2030-01-15` of `2030-01-15T00:00:00Z`.
handlebars_helper!(date: |value: str| value.get(..10).unwrap_or(value).to_string());

// `{{identity server}}`: the OWA virtual directory Exchange 2010 creates on every CAS.
handlebars_helper!(identity: |server: str| format!("{server}\\owa (Default Web Site)"));

pub fn register(registry: &mut Handlebars<'static>, kind: Kind) {
    if kind != Kind::PowerShell {
        registry.register_helper("ps", Box::new(ps));
    }
    registry.register_helper("date", Box::new(date));
    registry.register_helper("identity", Box::new(identity));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(kind: Kind, template: &str, data: serde_json::Value) -> String {
        let mut registry = Handlebars::new();
        registry.register_escape_fn(handlebars::no_escape);
        register(&mut registry, kind);
        registry
            .render_template(template, &data)
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn helpers() {
        assert_eq!(
            render(Kind::Markdown, "{{ps x}}", json!({"x": "O'Brien"})),
            "'O''Brien'"
        );
        assert_eq!(
            render(
                Kind::Html,
                "{{date t}}",
                json!({"t": "2030-01-15T00:00:00Z"})
            ),
            "2030-01-15"
        );
        assert_eq!(
            render(Kind::PowerShell, "{{identity s}}", json!({"s": "CAS01"})),
            "CAS01\\owa (Default Web Site)"
        );
        assert!(
            render(Kind::PowerShell, "{{ps x}}", json!({"x": "a"})).contains("ps"),
            "no ps helper in scripts"
        );
    }
}
