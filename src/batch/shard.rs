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

/// Where [`Shard::from_env`] found its index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardSource {
    /// A Slurm job array (`sbatch --array`).
    Slurm,
    /// A Kubernetes Indexed Job.
    Kubernetes,
    /// An AWS Batch array job.
    AwsBatch,
}

impl ShardSource {
    /// The engine's name.
    pub fn name(self) -> &'static str {
        match self {
            ShardSource::Slurm => "slurm array",
            ShardSource::Kubernetes => "kubernetes indexed job",
            ShardSource::AwsBatch => "aws batch array",
        }
    }
}

impl Shard {
    /// The shard a cluster scheduler gave this process, from its environment (`var` looks a
    /// variable up; pass `|k| std::env::var(k).ok()`), with `count` for engines that do not
    /// say how many shards there are:
    ///
    /// - Slurm arrays: `SLURM_ARRAY_TASK_ID`, counted from `SLURM_ARRAY_TASK_MIN` in steps of
    ///   `SLURM_ARRAY_TASK_STEP`; the count from `SLURM_ARRAY_TASK_COUNT`, else
    ///   `SLURM_ARRAY_TASK_MAX`, else `count`. A sparse array (`--array=1,5,9`) cannot be
    ///   mapped onto K/N and is refused when its task falls outside the count.
    /// - Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX` (0-based); the count is the Job's
    ///   `completions`, which the pod does not see: `count` must give it.
    /// - AWS Batch array jobs: `AWS_BATCH_JOB_ARRAY_INDEX` (0-based); `count` is the array size.
    pub fn from_env(
        count: Option<u32>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<(Shard, ShardSource), String> {
        let num = |name: &str| -> Result<Option<u32>, String> {
            var(name)
                .map(|v| {
                    v.trim()
                        .parse::<u32>()
                        .map_err(|_| format!("{name}={v:?} is not a number"))
                })
                .transpose()
        };
        let needs_count = |source: ShardSource, var_name: &str| {
            format!(
                "{}: {var_name} is set, but not how many shards there are: use --shard auto/N",
                source.name()
            )
        };
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = num("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            let n = match (num("SLURM_ARRAY_TASK_COUNT")?, num("SLURM_ARRAY_TASK_MAX")?) {
                (Some(n), _) => n,
                (None, Some(max)) if max >= min => (max - min) / step + 1,
                _ => count.ok_or_else(|| needs_count(ShardSource::Slurm, "SLURM_ARRAY_TASK_ID"))?,
            };
            let offset = id
                .checked_sub(min)
                .filter(|d| d % step == 0)
                .ok_or_else(|| {
                    format!("slurm array: task {id} is not min {min} plus a multiple of step {step} (a sparse array): use --shard K/N")
                })?;
            let shard = Shard::new(offset / step + 1, count.unwrap_or(n))
                .map_err(|e| format!("slurm array task {id}: {e}"))?;
            return Ok((shard, ShardSource::Slurm));
        }
        for (name, source) in [
            ("JOB_COMPLETION_INDEX", ShardSource::Kubernetes),
            ("AWS_BATCH_JOB_ARRAY_INDEX", ShardSource::AwsBatch),
        ] {
            if let Some(index) = num(name)? {
                let n = count.ok_or_else(|| needs_count(source, name))?;
                let shard = Shard::new(index.saturating_add(1), n)
                    .map_err(|e| format!("{}: {name}={index}: {e}", source.name()))?;
                return Ok((shard, source));
            }
        }
        Err("--shard auto: no scheduler index in the environment (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX)".into())
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
    fn schedulers_give_the_shard_through_their_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        // sbatch --array=0-3: task 2 is shard 3 of 4.
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert_eq!(
            Shard::from_env(None, slurm).unwrap(),
            (Shard::new(3, 4).unwrap(), ShardSource::Slurm)
        );
        // --array=1-9:4 (tasks 1, 5, 9), no COUNT: task 5 is shard 2 of 3.
        let stepped = env(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "9"),
            ("SLURM_ARRAY_TASK_STEP", "4"),
        ]);
        assert_eq!(
            Shard::from_env(None, stepped).unwrap().0,
            Shard::new(2, 3).unwrap()
        );
        // A sparse array whose task is not min + k * step.
        let sparse = env(&[
            ("SLURM_ARRAY_TASK_ID", "6"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_STEP", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ]);
        assert!(
            Shard::from_env(None, sparse)
                .unwrap_err()
                .contains("sparse")
        );
        // Kubernetes and AWS Batch: 0-based, the count given.
        let k8s = env(&[("JOB_COMPLETION_INDEX", "0")]);
        assert_eq!(
            Shard::from_env(Some(4), k8s).unwrap(),
            (Shard::new(1, 4).unwrap(), ShardSource::Kubernetes)
        );
        assert!(
            Shard::from_env(None, k8s)
                .unwrap_err()
                .contains("--shard auto/N")
        );
        let aws = env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "7")]);
        assert_eq!(
            Shard::from_env(Some(8), aws).unwrap().0,
            Shard::new(8, 8).unwrap()
        );
        assert!(
            Shard::from_env(Some(7), aws)
                .unwrap_err()
                .contains("not in 1..=7")
        );
        assert!(Shard::from_env(Some(2), env(&[("JOB_COMPLETION_INDEX", "x")])).is_err());
        assert!(
            Shard::from_env(Some(2), env(&[]))
                .unwrap_err()
                .contains("no scheduler index")
        );
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
