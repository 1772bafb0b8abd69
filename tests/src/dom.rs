//! Canonical forms of a live DOM, to compare a recorded page with its replay.

/// JS that returns a JSON canonical form of a document: elements as `[tag, sorted attributes,
/// children]`, text verbatim; `<script>` elements are left out (the recorder keeps them empty and
/// the replay never runs them).
///
/// `arguments[0]` selects the document: `null` for the page itself, or a CSS selector of an
/// `<iframe>` whose document is taken. With `arguments[1]` true, the form is what the recorder's
/// default privacy settings let through: every non-space character of text (outside `<style>`) and
/// of text-bearing attributes becomes `*`, and input values become eight `*`.
///
/// An open shadow root is a `#shadow` child (first) of its host, and a same-origin frame's
/// document a `#document` child of its `<iframe>`. With `arguments[2]` true the result is
/// `[tree, sheets]`, `sheets` listing for the document and every shadow root and frame the CSS
/// text of each stylesheet's rules (`document.styleSheets`, then adopted sheets), so CSSOM edits
/// are compared too, and form controls carry their state as `:checked=` and `:value=`
/// pseudo-attributes (masked, a value only for text-like controls); an `<iframe>`'s `src`,
/// `srcdoc` and `sandbox` are left out (the replay builds frame documents itself), and so is a
/// `<link>`'s `href` (the replay shows the CSS the recorder captured; its rules are compared).
/// Masking is idempotent, so a replay of a masked recording compares equal under `arguments[1]` true.
pub const CANONICAL_DOM_JS: &str = r##"
const frame = arguments[0] ? document.querySelector(arguments[0]) : null;
const doc = arguments[0] ? (frame && frame.contentDocument) : document;
const masked = arguments[1] === true;
const withSheets = arguments[2] === true;
if (!doc || !doc.documentElement) return null;
const sheets = [];
function rules(sheet) {
  try { return Array.from(sheet.cssRules, (r) => r.cssText); } catch (e) { return ["unreadable"]; }
}
function collectSheets(root, label) {
  const list = Array.from(root.styleSheets || [], rules);
  const adopted = Array.from(root.adoptedStyleSheets || [], rules);
  sheets.push([label, list, adopted]);
}
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
// Form state that lives in properties, not attributes. Masked, a value is kept only where the
// masked form is itself a valid value (text-like controls); other controls cannot show it.
// How a frame loads is not compared: the replay builds frame documents itself, inert.
const FRAME_LOADING = new Set(["src", "srcdoc", "sandbox"]);
// How a link loads is not compared either: the replay loads the captured CSS instead.
const loading = (tag, name) =>
  (tag === "iframe" && FRAME_LOADING.has(name)) || (tag === "link" && name === "href");
const TEXT_LIKE = new Set(["text", "search", "email", "tel", "url", "password"]);
function state(node) {
  const tag = node.localName;
  if (tag === "input" && (node.type === "checkbox" || node.type === "radio")) {
    return [":checked=" + node.checked];
  }
  const textLike = tag === "textarea" || (tag === "input" && TEXT_LIKE.has(node.type));
  if (tag !== "textarea" && tag !== "input" && tag !== "select") return [];
  if (!masked) return [":value=" + node.value];
  if (!textLike) return [];
  return [":value=" + (node.value === "" ? "" : "********")];
}
function canon(node) {
  if (node.nodeType === Node.TEXT_NODE) {
    const parent = node.parentNode && node.parentNode.localName;
    if (!masked || parent === "style") return node.data;
    // A textarea's text is its default value, masked as a value.
    if (parent === "textarea") return node.data === "" ? "" : "********";
    return maskText(node.data);
  }
  if (node.nodeType !== Node.ELEMENT_NODE) return undefined;
  const tag = node.localName;
  if (tag === "script") return undefined;
  const attrs = Array.from(node.attributes)
    .filter((a) => !(withSheets && loading(tag, a.name)))
    .map((a) => a.name + "=" + attribute(node, a))
    .sort();
  if (withSheets) attrs.push(...state(node));
  const children = Array.from(node.childNodes, canon).filter((c) => c !== undefined);
  if (node.shadowRoot) {
    collectSheets(node.shadowRoot, "shadow of " + tag);
    const inner = Array.from(node.shadowRoot.childNodes, canon).filter((c) => c !== undefined);
    children.unshift(["#shadow", [], inner]);
  }
  if (tag === "iframe") {
    let inner = null;
    try { inner = node.contentDocument; } catch (e) { inner = null; }
    if (inner && inner.documentElement) {
      collectSheets(inner, "frame");
      children.push(["#document", [], [canon(inner.documentElement)]]);
    }
  }
  return [tag, attrs, children];
}
collectSheets(doc, "document");
const tree = canon(doc.documentElement);
return JSON.stringify(withSheets ? [tree, sheets] : tree);
"##;
