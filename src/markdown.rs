//! Markdown for descriptions and comments: rendered with pulldown-cmark, then sanitized with
//! ammonia, so what people write can format text but never run code in another user's browser.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{Options, Parser, html};

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    // Links may point to the web and to mail only: no javascript:, data:, vbscript: or others.
    b.url_schemes(HashSet::from(["http", "https", "mailto"]))
        // Every link opens without handing the page to the target.
        .link_rel(Some("noopener noreferrer"))
        // Task lists render as disabled checkboxes.
        .add_tags(["input"])
        .add_tag_attribute_values("input", "type", ["checkbox"])
        .add_tag_attribute_values("input", "disabled", [""])
        .add_tag_attribute_values("input", "checked", [""]);
    b
});

/// Renders `markdown` into HTML that is safe to insert into a page.
pub fn render(markdown: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS | Options::ENABLE_FOOTNOTES;
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    SANITIZER.clean(&raw).to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn formats_markdown() {
        let html = render("# Iris\n\n**bold** and `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done");
        assert!(html.contains("<h1>Iris</h1>"), "{html}");
        assert!(html.contains("<strong>bold</strong>"));
        assert!(html.contains("<code>code</code>"));
        assert!(html.contains("<table>"));
        assert!(html.contains("checkbox"));
    }

    #[test]
    fn removes_scripts_handlers_and_dangerous_urls() {
        let cases = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "<a href=\"vbscript:msgbox(1)\">x</a>",
            "<svg onload=alert(1)><circle/></svg>",
            "<iframe src=\"https://example.com\"></iframe>",
            "<style>body{display:none}</style>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        ];
        for case in cases {
            let html = render(case).to_ascii_lowercase();
            for bad in [
                "<script",
                "onerror",
                "onload",
                "javascript:",
                "data:",
                "vbscript:",
                "<iframe",
                "<style",
                "<svg",
                "style=",
            ] {
                assert!(!html.contains(bad), "{case:?} rendered {html:?}, which contains {bad:?}");
            }
        }
    }

    #[test]
    fn links_get_rel_noopener() {
        let html = render("[docs](https://example.com/docs)");
        assert!(html.contains("href=\"https://example.com/docs\""), "{html}");
        assert!(html.contains("rel=\"noopener noreferrer\""), "{html}");
    }
}
