//! Canonical forms of a live DOM, to compare a recorded page with its replay.

/// JS that returns a JSON canonical form of a document: elements as `[tag, sorted attributes,
/// children]`, text verbatim; `<script>` elements are left out (the recorder keeps them empty and
/// the replay never runs them). `arguments[0]` selects the document: `null` for the page itself,
/// or a CSS selector of an `<iframe>` whose document is taken.
pub const CANONICAL_DOM_JS: &str = r#"
const frame = arguments[0] ? document.querySelector(arguments[0]) : null;
const doc = arguments[0] ? (frame && frame.contentDocument) : document;
if (!doc || !doc.documentElement) return null;
function canon(node) {
  if (node.nodeType === Node.TEXT_NODE) return node.data;
  if (node.nodeType !== Node.ELEMENT_NODE) return undefined;
  const tag = node.localName;
  if (tag === "script") return undefined;
  const attrs = Array.from(node.attributes, (a) => a.name + "=" + a.value).sort();
  const children = Array.from(node.childNodes, canon).filter((c) => c !== undefined);
  return [tag, attrs, children];
}
return JSON.stringify(canon(doc.documentElement));
"#;
