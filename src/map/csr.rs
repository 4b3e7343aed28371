//! Compressed adjacency lists: one flat vector and offsets, so that a node's
//! neighbours are one slice and a national map costs two allocations per relation.

/// Rows `0..rows`, each a contiguous slice of `T`.
#[derive(Debug, Clone, Default)]
pub struct Csr<T> {
    start: Vec<u32>,
    data: Vec<T>,
}

impl<T> Csr<T> {
    /// Groups `(row, value)` pairs by row, keeping the order they came in.
    pub fn from_pairs(rows: usize, pairs: Vec<(u32, T)>) -> Self {
        let mut count = vec![0u32; rows + 1];
        for (row, _) in &pairs {
            count[*row as usize + 1] += 1;
        }
        for r in 0..rows {
            count[r + 1] += count[r];
        }
        let start = count.clone();
        let mut slots: Vec<Option<T>> = Vec::with_capacity(pairs.len());
        slots.resize_with(pairs.len(), || None);
        let mut next = count;
        for (row, value) in pairs {
            let at = &mut next[row as usize];
            slots[*at as usize] = Some(value);
            *at += 1;
        }
        let data = slots.into_iter().flatten().collect();
        Csr { start, data }
    }

    pub fn row(&self, row: u32) -> &[T] {
        let r = row as usize;
        &self.data[self.start[r] as usize..self.start[r + 1] as usize]
    }

    /// Position of the row's first element in the flat data.
    pub fn offset(&self, row: u32) -> u32 {
        self.start[row as usize]
    }

    pub fn rows(&self) -> usize {
        self.start.len().saturating_sub(1)
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn all(&self) -> &[T] {
        &self.data
    }

    pub fn heap_bytes(&self) -> usize {
        self.start.capacity() * 4 + self.data.capacity() * std::mem::size_of::<T>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_row_in_arrival_order() {
        let csr = Csr::from_pairs(3, vec![(2, 'a'), (0, 'b'), (2, 'c')]);
        assert_eq!(csr.row(0), &['b']);
        assert_eq!(csr.row(1), &[] as &[char]);
        assert_eq!(csr.row(2), &['a', 'c']);
        assert_eq!(csr.offset(2), 1);
        assert_eq!(csr.len(), 3);
    }
}
