//! Alert fingerprints computed the way Prometheus and Alertmanager compute
//! them (`labelSetToFingerprint` in prometheus/common): FNV-1a 64 over label
//! names and values in name order, each followed by the byte 0xFF, printed as
//! 16 hex digits. Both delivery paths then name an alert identically.

use std::collections::BTreeMap;

const OFFSET: u64 = 14_695_981_039_346_656_037;
const PRIME: u64 = 1_099_511_628_211;
const SEPARATOR: u8 = 0xff;

fn add(mut hash: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(PRIME);
    }
    hash
}

/// The fingerprint of a label set; `BTreeMap` keeps names sorted.
pub fn fingerprint(labels: &BTreeMap<String, String>) -> u64 {
    let mut hash = OFFSET;
    for (name, value) in labels {
        hash = add(hash, name.as_bytes());
        hash = add(hash, &[SEPARATOR]);
        hash = add(hash, value.as_bytes());
        hash = add(hash, &[SEPARATOR]);
    }
    hash
}

pub fn fingerprint_hex(labels: &BTreeMap<String, String>) -> String {
    format!("{:016x}", fingerprint(labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn empty_set_is_the_fnv_offset() {
        // prometheus/common: emptyLabelSignature = hashNew() = the FNV offset.
        assert_eq!(fingerprint(&BTreeMap::new()), OFFSET);
    }

    #[test]
    fn single_label_by_hand() {
        // FNV-1a of "a", 0xff, "b", 0xff, folded byte by byte.
        let mut h = OFFSET;
        for b in [b'a', 0xff, b'b', 0xff] {
            h ^= b as u64;
            h = h.wrapping_mul(PRIME);
        }
        assert_eq!(fingerprint(&labels(&[("a", "b")])), h);
    }

    #[test]
    fn order_of_insertion_does_not_matter_but_values_do() {
        let a = labels(&[("chain", "ic"), ("node", "N20")]);
        let b = labels(&[("node", "N20"), ("chain", "ic")]);
        let c = labels(&[("chain", "ic"), ("node", "N22")]);
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
        assert_eq!(fingerprint_hex(&a).len(), 16);
    }

    #[test]
    fn separator_keeps_name_value_boundaries() {
        let a = labels(&[("ab", "c")]);
        let b = labels(&[("a", "bc")]);
        assert_ne!(fingerprint(&a), fingerprint(&b));
    }
}
