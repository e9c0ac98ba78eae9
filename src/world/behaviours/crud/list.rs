//! One stored list of items (a collection under one parent): insertion order, lookup by id,
//! and pages in O(log n + limit) whatever the offset or cursor.
//!
//! Implementation rationale: items live in `slots`, in creation order; a deleted item leaves a
//! dead slot until dead slots outnumber live ones, when the list is compacted (amortised O(1)
//! per delete). A Fenwick tree over the slots counts the live ones, so the slot of the k-th
//! live item is found in O(log n) (offset paging); each live slot links to the next live one,
//! so a page is then walked in O(limit). Every item keeps the sequence number it was created
//! with; slots stay sorted by it, so a cursor (a sequence number) is found by binary search
//! and stays valid across deletes and compactions.

use std::collections::HashMap;

use serde_json::Value;

/// No slot.
const NONE: usize = usize::MAX;

#[derive(Debug, Clone)]
struct Slot {
    seq: u64,
    id: String,
    item: Option<Value>,
    /// The next live slot, or `NONE`.
    next: usize,
}

/// The items of one collection, in creation order.
#[derive(Debug, Clone, Default)]
pub struct List {
    slots: Vec<Slot>,
    /// Fenwick tree (1-based) over `slots`: 1 for a live slot.
    tree: Vec<u32>,
    /// Slot of each live item, by id key.
    index: HashMap<String, usize>,
    /// First and last live slots.
    head: Option<usize>,
    tail: Option<usize>,
    next_seq: u64,
}

/// One page of a list: the items, and where the next page starts.
#[derive(Debug)]
pub struct Page<'a> {
    pub items: Vec<&'a Value>,
    /// The cursor of the first item after this page, when there is one.
    pub next: Option<u64>,
}

impl List {
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn get(&self, id: &str) -> Option<&Value> {
        let slot = *self.index.get(id)?;
        self.slots.get(slot)?.item.as_ref()
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Value> {
        let slot = *self.index.get(id)?;
        self.slots.get_mut(slot)?.item.as_mut()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    /// Appends an item under a new id (the caller checked it is new).
    pub fn push(&mut self, id: String, item: Value) {
        let pos = self.slots.len();
        self.slots.push(Slot {
            seq: self.next_seq,
            id: id.clone(),
            item: Some(item),
            next: NONE,
        });
        self.next_seq += 1;
        self.tree_push(1);
        if let Some(tail) = self.tail {
            self.slots[tail].next = pos;
        } else {
            self.head = Some(pos);
        }
        self.tail = Some(pos);
        self.index.insert(id, pos);
    }

    /// Removes an item; `None` when there is none with this id.
    pub fn remove(&mut self, id: &str) -> Option<Value> {
        let pos = self.index.remove(id)?;
        let before = self.prefix(pos);
        let prev = before.checked_sub(1).and_then(|k| self.select(k));
        let next = self.slots[pos].next;
        match prev {
            Some(p) => self.slots[p].next = next,
            None => self.head = (next != NONE).then_some(next),
        }
        if self.tail == Some(pos) {
            self.tail = prev;
        }
        self.tree_add(pos, -1);
        let item = self.slots[pos].item.take();
        self.slots[pos].next = NONE;
        let dead = self.slots.len() - self.index.len();
        if dead > 64 && dead > self.index.len() {
            self.compact();
        }
        item
    }

    /// Up to `limit` items from the `offset`-th.
    pub fn page_at_offset(&self, offset: usize, limit: Option<usize>) -> Page<'_> {
        self.walk(self.select(offset), limit)
    }

    /// Up to `limit` items from the first created at or after `cursor`.
    pub fn page_at_cursor(&self, cursor: u64, limit: Option<usize>) -> Page<'_> {
        let pos = self.slots.partition_point(|s| s.seq < cursor);
        self.walk(self.select(self.prefix(pos)), limit)
    }

    /// Every item in creation order, with its id key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.iter_seq().map(|(_, id, item)| (id, item))
    }

    /// The sequence number the next item will get: with each item's own (`iter_seq`), all
    /// that cursors and offsets depend on, so the state file keeps it.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Every item in creation order, with its sequence number and id key.
    pub fn iter_seq(&self) -> impl Iterator<Item = (u64, &str, &Value)> {
        let mut at = self.head.unwrap_or(NONE);
        std::iter::from_fn(move || {
            let slot = self.slots.get(at)?;
            at = slot.next;
            Some((slot.seq, slot.id.as_str(), slot.item.as_ref()?))
        })
    }

    /// The list `iter_seq` and `next_seq` describe: sequence numbers rising and below
    /// `next_seq`, each id once. Removed items leave no slot: pages are the same either way.
    pub fn restore(
        items: impl IntoIterator<Item = (u64, String, Value)>,
        next_seq: u64,
    ) -> Result<List, String> {
        let mut list = List::default();
        for (seq, id, item) in items {
            if seq < list.next_seq || seq >= next_seq {
                return Err(format!(
                    "item {id}: sequence number {seq} is out of order or never given out"
                ));
            }
            if list.contains(&id) {
                return Err(format!("item {id} appears twice"));
            }
            list.next_seq = seq;
            list.push(id, item);
        }
        list.next_seq = next_seq;
        Ok(list)
    }

    fn walk(&self, start: Option<usize>, limit: Option<usize>) -> Page<'_> {
        let mut items = Vec::new();
        let mut at = start.unwrap_or(NONE);
        while let Some(slot) = self.slots.get(at) {
            if limit.is_some_and(|l| items.len() >= l) {
                return Page {
                    items,
                    next: Some(slot.seq),
                };
            }
            if let Some(item) = &slot.item {
                items.push(item);
            }
            at = slot.next;
        }
        Page { items, next: None }
    }

    /// Drops dead slots and rebuilds the tree, the index and the links.
    fn compact(&mut self) {
        self.slots.retain(|s| s.item.is_some());
        self.index.clear();
        let n = self.slots.len();
        for (pos, slot) in self.slots.iter_mut().enumerate() {
            slot.next = if pos + 1 < n { pos + 1 } else { NONE };
            self.index.insert(slot.id.clone(), pos);
        }
        self.head = (n > 0).then_some(0);
        self.tail = n.checked_sub(1);
        self.tree = vec![0];
        for _ in 0..n {
            self.tree_push(1);
        }
    }

    /// Live slots before `pos`.
    fn prefix(&self, pos: usize) -> usize {
        let mut i = pos.min(self.tree.len().saturating_sub(1));
        let mut sum = 0usize;
        while i > 0 {
            sum += self.tree[i] as usize;
            i &= i - 1;
        }
        sum
    }

    /// The slot of the `k`-th live item (0-based).
    fn select(&self, k: usize) -> Option<usize> {
        if k >= self.index.len() {
            return None;
        }
        let n = self.tree.len().saturating_sub(1);
        let mut pos = 0usize;
        let mut rest = k;
        let mut step = if n == 0 {
            0
        } else {
            1 << (usize::BITS - 1 - n.leading_zeros())
        };
        while step > 0 {
            let next = pos + step;
            if next <= n && (self.tree[next] as usize) <= rest {
                pos = next;
                rest -= self.tree[next] as usize;
            }
            step >>= 1;
        }
        // `pos` live-counted slots precede it: the answer is slot `pos` (0-based).
        Some(pos)
    }

    /// Grows the tree by one slot holding `value`.
    fn tree_push(&mut self, value: u32) {
        if self.tree.is_empty() {
            self.tree.push(0);
        }
        let i = self.tree.len();
        let low = i & i.wrapping_neg();
        // Node `i` covers slots (i - low, i]: the new slot plus the sum of those before it.
        let covered = self.prefix(i - 1) - self.prefix(i - low);
        self.tree.push(value + covered as u32);
    }

    fn tree_add(&mut self, pos: usize, delta: i32) {
        let mut i = pos + 1;
        while i < self.tree.len() {
            self.tree[i] = self.tree[i].wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids(page: &Page<'_>) -> Vec<i64> {
        page.items.iter().filter_map(|v| v.as_i64()).collect()
    }

    fn list(n: i64) -> List {
        let mut l = List::default();
        for i in 0..n {
            l.push(i.to_string(), json!(i));
        }
        l
    }

    #[test]
    fn pages_by_offset_follow_creation_order_across_deletes() {
        let mut l = list(10);
        assert_eq!(ids(&l.page_at_offset(0, Some(3))), vec![0, 1, 2]);
        assert_eq!(ids(&l.page_at_offset(8, Some(3))), vec![8, 9]);
        assert_eq!(l.remove("1"), Some(json!(1)));
        assert_eq!(l.remove("1"), None);
        l.remove("0");
        l.remove("9");
        assert_eq!(ids(&l.page_at_offset(0, Some(3))), vec![2, 3, 4]);
        assert_eq!(ids(&l.page_at_offset(6, None)), vec![8]);
        assert!(l.page_at_offset(7, None).items.is_empty());
        l.push("x".into(), json!(100));
        assert_eq!(ids(&l.page_at_offset(6, None)), vec![8, 100]);
        assert_eq!(l.len(), 8);
    }

    #[test]
    fn cursors_survive_deletes_and_compaction() {
        let mut l = list(300);
        let first = l.page_at_offset(0, Some(100));
        let cursor = first.next.unwrap();
        assert_eq!(cursor, 100);
        for i in 0..250 {
            if i != 120 {
                l.remove(&i.to_string());
            }
        }
        // Compacted: 50 + 1 live items, cursors still mean "created at or after".
        assert!(l.slots.len() < 100);
        let page = l.page_at_cursor(cursor, Some(2));
        assert_eq!(ids(&page), vec![120, 250]);
        let rest = l.page_at_cursor(page.next.unwrap(), None);
        assert_eq!(rest.items.len(), 49);
        assert_eq!(rest.next, None);
        assert_eq!(l.get("299"), Some(&json!(299)));
        let all: Vec<&str> = l.iter().map(|(id, _)| id).take(2).collect();
        assert_eq!(all, vec!["120", "250"]);
    }

    #[test]
    fn a_restored_list_pages_like_the_one_it_was_saved_from() {
        let mut l = list(10);
        for i in [0, 3, 4, 9] {
            l.remove(&i.to_string());
        }
        let saved: Vec<(u64, String, Value)> = l
            .iter_seq()
            .map(|(seq, id, v)| (seq, id.to_owned(), v.clone()))
            .collect();
        let mut back = List::restore(saved, l.next_seq()).unwrap();
        for (offset, limit) in [(0, Some(2)), (2, Some(3)), (5, None)] {
            let (a, b) = (
                l.page_at_offset(offset, limit),
                back.page_at_offset(offset, limit),
            );
            assert_eq!((ids(&a), a.next), (ids(&b), b.next));
        }
        let (a, b) = (
            l.page_at_cursor(4, Some(2)),
            back.page_at_cursor(4, Some(2)),
        );
        assert_eq!((ids(&a), a.next), (ids(&b), b.next));
        l.push("new".into(), json!(10));
        back.push("new".into(), json!(10));
        let a: Vec<u64> = l.iter_seq().map(|(s, _, _)| s).collect();
        let b: Vec<u64> = back.iter_seq().map(|(s, _, _)| s).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn a_saved_list_out_of_order_or_with_a_repeated_id_is_refused() {
        let item = |seq: u64, id: &str| (seq, id.to_owned(), json!(seq));
        assert!(List::restore([item(2, "a"), item(1, "b")], 5).is_err());
        assert!(List::restore([item(1, "a"), item(2, "a")], 5).is_err());
        assert!(List::restore([item(5, "a")], 5).is_err());
        assert!(List::restore([item(0, "a"), item(4, "b")], 5).is_ok());
    }

    #[test]
    fn the_k_th_live_item_is_found_in_any_list_size() {
        for n in [1, 2, 3, 7, 8, 9, 64, 65] {
            let mut l = list(n);
            for i in (0..n).step_by(2) {
                l.remove(&i.to_string());
            }
            let odd: Vec<i64> = (0..n).filter(|i| i % 2 == 1).collect();
            for (k, want) in odd.iter().enumerate() {
                assert_eq!(
                    ids(&l.page_at_offset(k, Some(1))),
                    vec![*want],
                    "n={n} k={k}"
                );
            }
            assert_eq!(ids(&l.page_at_offset(0, None)), odd);
        }
    }
}
