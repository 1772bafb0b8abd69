//! The mirror's id → node map, stored so that copies are cheap: nodes sit in chunks of
//! [`CHUNK`] consecutive ids, both behind reference counts. Copying the map copies one pointer
//! per chunk; changing a node afterwards copies its chunk (a few hundred bytes) and the node,
//! and leaves everything else shared with the copy. The player keeps a copy every few seconds
//! of a session (see [`crate::player`]), so what a copy costs is what the player holds per hour.
//!
//! The recorder numbers nodes consecutively, so chunks are full; ids from an untrusted
//! recording can be anything, and the chunks are kept in an ordered map by chunk number, so a
//! sparse id costs one chunk, never a table as large as the id.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use sightline_protocol::v1::NodeId;

use super::{MirrorNode, NodeKind};

/// Ids per chunk.
const CHUNK: usize = 32;

type Chunk = [Option<Arc<MirrorNode>>; CHUNK];

/// The map from node ids to the mirror's nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NodeMap {
    /// Chunks by `id / CHUNK`; a chunk with no node is removed.
    chunks: BTreeMap<u32, Arc<Chunk>>,
    len: usize,
}

/// The chunk number and the slot in it of `id`.
fn split(id: NodeId) -> (u32, usize) {
    (id / CHUNK as u32, id as usize % CHUNK)
}

impl NodeMap {
    pub(crate) fn get(&self, id: &NodeId) -> Option<&MirrorNode> {
        let (chunk, slot) = split(*id);
        self.chunks.get(&chunk)?[slot].as_deref()
    }

    /// The node for changing: copied first (with its chunk) when a copy of the map shares it.
    pub(crate) fn get_mut(&mut self, id: &NodeId) -> Option<&mut MirrorNode> {
        if !self.contains_key(id) {
            return None;
        }
        let (chunk, slot) = split(*id);
        let chunk = Arc::make_mut(self.chunks.get_mut(&chunk)?);
        chunk[slot].as_mut().map(Arc::make_mut)
    }

    pub(crate) fn contains_key(&self, id: &NodeId) -> bool {
        self.get(id).is_some()
    }

    pub(crate) fn insert(&mut self, id: NodeId, node: MirrorNode) {
        let (chunk, slot) = split(id);
        let chunk = self
            .chunks
            .entry(chunk)
            .or_insert_with(|| Arc::new(std::array::from_fn(|_| None)));
        let slot = &mut Arc::make_mut(chunk)[slot];
        if slot.is_none() {
            self.len += 1;
        }
        *slot = Some(Arc::new(node));
    }

    pub(crate) fn remove(&mut self, id: &NodeId) -> Option<MirrorNode> {
        if !self.contains_key(id) {
            return None;
        }
        let (number, slot) = split(*id);
        let chunk = Arc::make_mut(self.chunks.get_mut(&number)?);
        let node = chunk[slot].take()?;
        if chunk.iter().all(Option::is_none) {
            self.chunks.remove(&number);
        }
        self.len -= 1;
        Some(Arc::unwrap_or_clone(node))
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn clear(&mut self) {
        self.chunks.clear();
        self.len = 0;
    }

    /// Roughly the heap bytes of this map not already counted in `seen` (addresses of chunks
    /// and nodes, to which this map's are added).
    pub(crate) fn heap_bytes(&self, seen: &mut HashSet<usize>) -> usize {
        // A B-tree entry: the key, the pointer and about a third of a node's overhead.
        let mut bytes = self.chunks.len() * (size_of::<(u32, Arc<Chunk>)>() + 8);
        for chunk in self.chunks.values() {
            if !seen.insert(Arc::as_ptr(chunk) as usize) {
                continue;
            }
            bytes += 2 * size_of::<usize>() + size_of::<Chunk>();
            for node in chunk.iter().flatten() {
                if seen.insert(Arc::as_ptr(node) as usize) {
                    bytes += 2 * size_of::<usize>() + node_bytes(node);
                }
            }
        }
        bytes
    }
}

/// The bytes of a node and what it owns.
fn node_bytes(node: &MirrorNode) -> usize {
    size_of::<MirrorNode>()
        + node.children.capacity() * size_of::<NodeId>()
        + match &node.kind {
            NodeKind::Element {
                tag, attributes, ..
            } => {
                tag.capacity()
                    + attributes.capacity() * size_of::<(String, String)>()
                    + attributes
                        .iter()
                        .map(|(n, v)| n.capacity() + v.capacity())
                        .sum::<usize>()
            }
            NodeKind::Text(t) | NodeKind::Comment(t) | NodeKind::CData(t) => t.capacity(),
            _ => 0,
        }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn text(value: &str) -> MirrorNode {
        MirrorNode {
            parent: None,
            children: vec![],
            kind: NodeKind::Text(value.to_owned()),
        }
    }

    #[test]
    fn a_copy_keeps_its_nodes_when_the_original_changes() {
        let mut map = NodeMap::default();
        for id in 0..100 {
            map.insert(id, text("before"));
        }
        map.insert(u32::MAX, text("far away"));
        let copy = map.clone();
        if let Some(NodeKind::Text(t)) = map.get_mut(&5).map(|n| &mut n.kind) {
            *t = "after".into();
        }
        map.remove(&6);
        assert_eq!(copy.get(&5).unwrap().kind, NodeKind::Text("before".into()));
        assert_eq!(map.get(&5).unwrap().kind, NodeKind::Text("after".into()));
        assert!(copy.contains_key(&6) && !map.contains_key(&6));
        assert_eq!((copy.len(), map.len()), (101, 100));
        assert_eq!(
            map.get(&u32::MAX).unwrap().kind,
            NodeKind::Text("far away".into())
        );
    }

    #[test]
    fn a_copy_shares_what_did_not_change() {
        let mut map = NodeMap::default();
        for id in 0..3_200 {
            map.insert(id, text("cell"));
        }
        let mut seen = HashSet::new();
        let whole = map.heap_bytes(&mut seen);
        let mut copy = map.clone();
        copy.get_mut(&7).unwrap().children.push(1);
        let extra = copy.heap_bytes(&mut seen);
        assert!(
            extra * 20 < whole,
            "a copy with one change holds {extra} of {whole} bytes"
        );
    }

    #[test]
    fn emptied_maps_equal_fresh_ones() {
        let mut map = NodeMap::default();
        map.insert(40, text("x"));
        map.remove(&40);
        assert_eq!(map, NodeMap::default());
        assert!(map.is_empty());
    }
}
