//! `--shard K/N`: a stable share of the tree, so N machines can run one batch each with no
//! coordination (a Kubernetes Indexed Job, a Slurm array, GNU parallel over ssh).
//!
//! A file belongs to shard `K` when the 64-bit FNV-1a hash of its path relative to the input
//! folder, modulo N, is K - 1. The hash depends only on that path (not on the machine, the
//! walk order or the Rust version), so every machine agrees without talking, the shards cover
//! the tree exactly once, and a file keeps its shard as the tree grows around it.

use std::fmt;
use std::str::FromStr;

/// The most shards `--shard` accepts: far more machines than any batch has.
pub const MAX_SHARDS: u32 = 1_000_000;

/// Shard `index` (1-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    index: u32,
    count: u32,
}

impl Shard {
    /// Shard `index` of `count` (`1 <= index <= count <= MAX_SHARDS`).
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 || count > MAX_SHARDS {
            return Err(format!("shard count {count} is not in 1..={MAX_SHARDS}"));
        }
        if index == 0 || index > count {
            return Err(format!("shard {index} is not in 1..={count}"));
        }
        Ok(Shard { index, count })
    }

    /// The whole tree (1/1).
    pub fn all() -> Shard {
        Shard { index: 1, count: 1 }
    }

    /// 1-based index.
    pub fn index(self) -> u32 {
        self.index
    }

    /// Number of shards.
    pub fn count(self) -> u32 {
        self.count
    }

    /// Whether the file at `rel` (relative to the input folder, `/` separators) is in this shard.
    pub fn contains(self, rel: &str) -> bool {
        fnv1a64(rel.as_bytes()) % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `K/N`, as in `--shard 2/8`.
    fn from_str(s: &str) -> Result<Shard, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?} is not K/N (for instance 2/8)"))?;
        let num = |v: &str| {
            v.trim()
                .parse::<u32>()
                .map_err(|e| format!("{s:?} is not K/N: {v:?}: {e}"))
        };
        Shard::new(num(k)?, num(n)?)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// 64-bit FNV-1a (the published offset basis and prime): tiny, fixed forever, and spreads
/// similar names (`part001.flv`, `part002.flv`) evenly.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_hash_is_fnv1a_64() {
        // Published test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn shards_cover_every_path_once_and_evenly() {
        let shards: Vec<Shard> = (1..=3).map(|k| Shard::new(k, 3).unwrap()).collect();
        let mut counts = [0usize; 3];
        for i in 0..3000 {
            let rel = format!("show{}/part{i:04}.flv", i % 7);
            let owners: Vec<usize> = (0..3).filter(|&k| shards[k].contains(&rel)).collect();
            assert_eq!(owners.len(), 1, "{rel}");
            counts[owners[0]] += 1;
        }
        for c in counts {
            assert!((800..1200).contains(&c), "{counts:?}");
        }
        assert!(Shard::all().contains("anything"));
    }

    #[test]
    fn parsing_names_what_is_wrong() {
        assert_eq!("2/8".parse::<Shard>().unwrap(), Shard::new(2, 8).unwrap());
        assert_eq!("2/8".parse::<Shard>().unwrap().to_string(), "2/8");
        assert!("0/3".parse::<Shard>().unwrap_err().contains("not in 1..=3"));
        assert!("4/3".parse::<Shard>().unwrap_err().contains("not in 1..=3"));
        assert!("1/0".parse::<Shard>().unwrap_err().contains("count 0"));
        assert!("3".parse::<Shard>().unwrap_err().contains("K/N"));
        assert!("a/3".parse::<Shard>().is_err());
    }
}
