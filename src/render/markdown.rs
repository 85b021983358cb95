//! One source for the change plan: `plan-md` is the document, and `plan-html` is only the page
//! around it (head, styles for the screen and for print). The rendered Markdown becomes the
//! page's body through CommonMark with GitHub's tables and task lists (pulldown-cmark), so a
//! sentence, a row or a check is written once and reads the same in both files.
//!
//! Values stay data on the way: the Markdown escaping has already turned every character that
//! Markdown or HTML would read into an entity; CommonMark decodes those in text and escapes them
//! again for HTML, and leaves them as they are in the raw HTML (`<pre>`, `<code>`) the document
//! shows values in.

use std::io::{self, Write};

use pulldown_cmark::{html, Options, Parser};

/// The line of a page that the Markdown document, as HTML, replaces.
pub const BODY: &str = "<!-- CHANGE-PLAN.md -->";

/// The page templates and the Markdown template each one wraps.
const PAGES: &[(&str, &str)] = &[("plan-html", "plan-md")];

/// The Markdown template a page template wraps, if `name` is a page.
pub fn wrapped(name: &str) -> Option<&'static str> {
    PAGES
        .iter()
        .find(|(page, _)| *page == name)
        .map(|&(_, markdown)| markdown)
}

/// Writes the rendered page with the rendered Markdown, as HTML, in place of its [`BODY`]
/// line. CommonMark reads a document whole (what a line is depends on the lines after it), so
/// the Markdown is held in memory while the page is written: about as much as CHANGE-PLAN.md.
pub fn write_page(page: &[u8], markdown: &[u8], out: &mut dyn Write) -> io::Result<()> {
    let page = std::str::from_utf8(page).map_err(io::Error::other)?;
    let markdown = std::str::from_utf8(markdown).map_err(io::Error::other)?;
    let at = page
        .find(BODY)
        .ok_or_else(|| io::Error::other(format!("the page has no line {BODY} for the document")))?;
    let line_end = page[at..].find('\n').map_or(page.len(), |i| at + i + 1);
    out.write_all(&page.as_bytes()[..at])?;
    let options = Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS;
    html::write_html_io(&mut *out, Parser::new_ext(markdown, options))?;
    out.write_all(&page.as_bytes()[line_end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(page: &str, markdown: &str) -> io::Result<String> {
        let mut out = Vec::new();
        write_page(page.as_bytes(), markdown.as_bytes(), &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn the_markdown_takes_the_place_of_the_body_line() {
        let page = page(
            "<body>\n<!-- CHANGE-PLAN.md -->\n</body>\n",
            "# Plan\n\n| a | b |\n|---|---:|\n| x | 1 |\n\n- [ ] check\n",
        )
        .unwrap();
        assert!(page.starts_with("<body>\n<h1>Plan</h1>\n<table>"), "{page}");
        assert!(
            page.contains("<td style=\"text-align: right\">1</td>"),
            "{page}"
        );
        assert!(
            page.contains("<li><input disabled=\"\" type=\"checkbox\"/>\ncheck</li>"),
            "{page}"
        );
        assert!(page.ends_with("</ul>\n</body>\n"), "{page}");
    }

    #[test]
    fn escaped_values_stay_text() {
        // What the Markdown escaping makes of `<script>` and `*x*`, in text and in raw HTML.
        let page = page(
            "<!-- CHANGE-PLAN.md -->\n",
            "Pool &lt;script&gt; &#42;x&#42;\n\n<pre>\n&lt;b&gt;\n</pre>\n",
        )
        .unwrap();
        assert_eq!(
            page,
            "<p>Pool &lt;script&gt; *x*</p>\n<pre>\n&lt;b&gt;\n</pre>\n"
        );
    }

    #[test]
    fn a_page_without_the_body_line_is_an_error() {
        assert!(page("<body></body>", "# x").is_err());
    }
}
