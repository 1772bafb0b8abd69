//! Canonical forms of a live DOM, to compare a recorded page with its replay.

/// JS that returns a JSON canonical form of a document: elements as `[tag, sorted attributes,
/// children]`, text verbatim; `<script>` elements are left out (the recorder keeps them empty and
/// the replay never runs them).
///
/// `arguments[0]` selects the document: `null` for the page itself, or a CSS selector of an
/// `<iframe>` whose document is taken. With `arguments[1]` true, the form is what the recorder's
/// default privacy settings let through: every non-space character of text (outside `<style>`) and
/// of text-bearing attributes becomes `*`, and input values become eight `*`.
pub const CANONICAL_DOM_JS: &str = r#"
const frame = arguments[0] ? document.querySelector(arguments[0]) : null;
const doc = arguments[0] ? (frame && frame.contentDocument) : document;
const masked = arguments[1] === true;
if (!doc || !doc.documentElement) return null;
const TEXT_ATTRIBUTES = new Set(["title", "placeholder", "alt", "aria-label",
  "aria-description", "aria-placeholder", "aria-valuetext"]);
const maskText = (text) => text.replace(/\S/g, "*");
function attribute(element, a) {
  if (!masked) return a.value;
  if (TEXT_ATTRIBUTES.has(a.name)) return maskText(a.value);
  if (a.name === "value" && /^(input|textarea|select|option)$/.test(element.localName)) {
    return a.value === "" ? "" : "********";
  }
  return a.value;
}
function canon(node) {
  if (node.nodeType === Node.TEXT_NODE) {
    const parent = node.parentNode && node.parentNode.localName;
    return masked && parent !== "style" ? maskText(node.data) : node.data;
  }
  if (node.nodeType !== Node.ELEMENT_NODE) return undefined;
  const tag = node.localName;
  if (tag === "script") return undefined;
  const attrs = Array.from(node.attributes, (a) => a.name + "=" + attribute(node, a)).sort();
  const children = Array.from(node.childNodes, canon).filter((c) => c !== undefined);
  return [tag, attrs, children];
}
return JSON.stringify(canon(doc.documentElement));
"#;
