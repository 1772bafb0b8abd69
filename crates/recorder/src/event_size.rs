//! A cheap estimate of how many bytes an event adds to a segment body.
//!
//! The recorder uploads early when a segment grows large, without encoding it to find out: this
//! walks the event's strings and nodes, which costs far less than MessagePack encoding, and errs
//! on the large side (every number counts as a few bytes).

use sightline_protocol::v1::{EventData, Mutation, Node};

/// Bytes counted for an event's kind, delta and small fixed fields.
const EVENT_OVERHEAD: usize = 8;

/// Bytes counted for a node's id, kind and list headers.
const NODE_OVERHEAD: usize = 6;

/// The estimated encoded size of `data`, in bytes.
pub fn estimated_size(data: &EventData) -> usize {
    EVENT_OVERHEAD
        + match data {
            EventData::Meta {
                href, user_agent, ..
            } => 8 + href.len() + user_agent.len(),
            EventData::FullSnapshot { root } => node_size(root),
            EventData::Mutation(mutation) => mutation_size(mutation),
            EventData::JsError(error) => {
                error.event_id.len()
                    + error.error_type.len()
                    + error.message.len()
                    + error.release.len()
                    + error
                        .frames
                        .iter()
                        .map(|f| 10 + f.function.len() + f.filename.len())
                        .sum::<usize>()
            }
            EventData::NetworkRequest(request) => {
                16 + request.method.len()
                    + request.url.len()
                    + request.trace_id.len()
                    + request.span_id.len()
            }
            EventData::MouseMove(moves) => 8 + moves.deltas.len() * 6,
            EventData::Input(input) => 6 + input.value.len(),
            EventData::StyleSheetRule(rule) => {
                10 + rule
                    .ops
                    .iter()
                    .map(|op| 4 + op.path.len() * 3 + op.text.len())
                    .sum::<usize>()
            }
            EventData::AdoptedStyleSheets(adopted) => {
                6 + adopted.style_ids.len() * 3
                    + adopted
                        .new_sheets
                        .iter()
                        .map(|sheet| 6 + sheet.text.len())
                        .sum::<usize>()
            }
            EventData::Navigation { href, .. } => 2 + href.len(),
            EventData::Breadcrumb(crumb) => {
                4 + crumb.category.len() + crumb.message.len() + crumb.data.len()
            }
            EventData::Custom { tag, payload } => 4 + tag.len() + payload.len(),
            _ => 12,
        }
}

fn mutation_size(mutation: &Mutation) -> usize {
    mutation.removes.len() * 8
        + mutation
            .adds
            .iter()
            .map(|add| 8 + node_size(&add.node))
            .sum::<usize>()
        + mutation
            .texts
            .iter()
            .map(|change| 6 + change.text.len())
            .sum::<usize>()
        + mutation
            .attributes
            .iter()
            .map(|change| 6 + change.name.len() + change.value.as_ref().map_or(1, String::len))
            .sum::<usize>()
}

fn node_size(node: &Node) -> usize {
    NODE_OVERHEAD
        + match node {
            Node::Document { children, .. } | Node::ShadowRoot { children, .. } => {
                children.iter().map(node_size).sum()
            }
            Node::Doctype {
                name,
                public_id,
                system_id,
                ..
            } => name.len() + public_id.len() + system_id.len(),
            Node::Element {
                tag,
                attributes,
                children,
                ..
            } => {
                tag.len()
                    + attributes
                        .iter()
                        .map(|(name, value)| 2 + name.len() + value.len())
                        .sum::<usize>()
                    + children.iter().map(node_size).sum::<usize>()
            }
            Node::Text { text, .. } | Node::Comment { text, .. } | Node::CData { text, .. } => {
                text.len()
            }
            #[allow(unreachable_patterns)]
            _ => 0,
        }
}

#[cfg(test)]
mod tests {
    use sightline_protocol::encode_body;
    use sightline_protocol::v1::{Event, Namespace, TextChange};

    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn element(tag: &str, children: Vec<Node>) -> Node {
        Node::Element {
            id: 7,
            tag: tag.into(),
            attributes: vec![("class".into(), "row selected".into())],
            children,
            namespace: Namespace::default(),
        }
    }

    #[test]
    fn estimates_are_never_below_the_encoded_size() -> TestResult {
        let rows: Vec<Node> = (0..200)
            .map(|i| {
                element(
                    "li",
                    vec![Node::Text {
                        id: i,
                        text: "**** ** ****".into(),
                    }],
                )
            })
            .collect();
        let events = [
            EventData::FullSnapshot {
                root: Node::Document {
                    id: 1,
                    children: vec![element("ul", rows)],
                },
            },
            EventData::Mutation(Mutation {
                texts: vec![TextChange {
                    id: 3,
                    text: "x".repeat(300),
                }],
                ..Mutation::default()
            }),
        ];
        for data in events {
            let encoded = encode_body(&[Event::new(0, data.clone())])?.len();
            let estimate = estimated_size(&data);
            assert!(estimate >= encoded, "{estimate} < {encoded}");
            assert!(estimate < encoded * 3, "{estimate} vs {encoded}");
        }
        Ok(())
    }
}
