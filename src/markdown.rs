//! Markdown for descriptions and comments: rendered with pulldown-cmark, then sanitized with
//! ammonia, so what people write can format text but never run code in another user's browser.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{Options, Parser, html};

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    // Links may point to the web and to mail only: no javascript:, data:, vbscript: or others.
    // (`data` passes this list only for images, see `image_or_link`.)
    b.url_schemes(HashSet::from(["http", "https", "mailto", "data"]))
        .attribute_filter(image_or_link)
        // Every link opens without handing the page to the target.
        .link_rel(Some("noopener noreferrer"))
        // Task lists render as disabled checkboxes.
        .add_tags(["input"])
        .add_tag_attribute_values("input", "type", ["checkbox"])
        .add_tag_attribute_values("input", "disabled", [""])
        .add_tag_attribute_values("input", "checked", [""]);
    b
});

/// Images come from Quiver itself (a path, no other host) or from data the page already holds
/// (a base64 raster image): a remote image would tell its host who read the page, and when
/// (a tracking pixel). Nothing but an image may use a `data:` URL.
fn image_or_link<'u>(element: &str, attribute: &str, value: &'u str) -> Option<std::borrow::Cow<'u, str>> {
    let v = value.trim_start().to_ascii_lowercase();
    let data = v.starts_with("data:");
    match (element, attribute) {
        ("img", "src") => {
            let raster = [
                "data:image/png;base64,",
                "data:image/gif;base64,",
                "data:image/jpeg;base64,",
                "data:image/webp;base64,",
            ];
            let local = !v.contains(':') && !v.starts_with("//") && !v.starts_with("\\") && !v.starts_with("/\\");
            (local || raster.iter().any(|p| v.starts_with(p))).then_some(value.into())
        }
        ("img", "srcset") => None,
        _ if data => None,
        _ => Some(value.into()),
    }
}

/// Renders `markdown` into HTML that is safe to insert into a page. Headings are demoted by two
/// levels (`#` becomes `h3`, down to `h6`): the page has its `h1` and sections their `h2`, so a
/// description's outline sits under them for screen readers and the eye.
pub fn render(markdown: &str) -> String {
    use pulldown_cmark::{Event, HeadingLevel, Tag, TagEnd};
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS | Options::ENABLE_FOOTNOTES;
    let demote = |level: HeadingLevel| match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    };
    let events = Parser::new_ext(markdown, options).map(|e| match e {
        Event::Start(Tag::Heading { level, id, classes, attrs }) => {
            Event::Start(Tag::Heading { level: demote(level), id, classes, attrs })
        }
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(demote(level))),
        other => other,
    });
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events);
    SANITIZER.clean(&raw).to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn formats_markdown() {
        let html = render("# Iris\n\n**bold** and `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done");
        assert!(html.contains("<h3>Iris</h3>"), "demoted under the page's h1 and h2: {html}");
        let outline = render("# a\n## b\n### c\n#### d\n###### e");
        assert!(
            ["<h3>a</h3>", "<h4>b</h4>", "<h5>c</h5>", "<h6>d</h6>", "<h6>e</h6>"].iter().all(|h| outline.contains(h))
        );
        assert!(html.contains("<strong>bold</strong>"));
        assert!(html.contains("<code>code</code>"));
        assert!(html.contains("<table>"));
        assert!(html.contains("checkbox"));
    }

    #[test]
    fn images_come_from_quiver_or_the_page_itself() {
        let remote = render("![pixel](https://tracker.example.com/p.gif?who=me) ![b](//tracker.example.com/p.gif)");
        assert!(!remote.contains("tracker.example.com"), "{remote}");
        let local = render("![plot](/api/2.0/mlflow-artifacts/artifacts/1/a/plot.png) ![rel](plot.png)");
        assert!(local.contains("src=\"/api/2.0/mlflow-artifacts/artifacts/1/a/plot.png\""), "{local}");
        assert!(local.contains("src=\"plot.png\""), "{local}");
        let inline = render("![dot](data:image/png;base64,iVBORw0KGgo=)");
        assert!(inline.contains("src=\"data:image/png;base64,iVBORw0KGgo=\""), "{inline}");
        for bad in
            ["![x](data:image/svg+xml;base64,PHN2Zz4=)", "![x](data:text/html,hi)", "[x](data:image/png;base64,AA==)"]
        {
            assert!(!render(bad).contains("data:"), "{bad} -> {}", render(bad));
        }
        // Links to other sites stay links.
        assert!(render("[docs](https://mlflow.org/docs)").contains("href=\"https://mlflow.org/docs\""));
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
