//! FLV demux throughput: drains the demuxer over a file many times and prints MB/s.
//!
//! `cargo bench --bench flv_demux [FILE]` (default testdata/source.flv). A plain harness with
//! `Instant`: the number that matters is the side-by-side ratio against ffprobe in
//! benches/compare_ffprobe.sh, so no statistics crate is needed here.

use std::time::Instant;

use muxkit::Demuxer;
use muxkit::flv::FlvDemuxer;
use muxkit::io::map_file;

fn main() -> muxkit::Result<()> {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/source.flv").to_owned());
    let data = map_file(path.as_ref())?;
    let target_bytes: u64 = 2 << 30;
    let rounds = (target_bytes / data.len().max(1) as u64).clamp(1, 10_000);
    let mut packets = 0u64;
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        for _ in 0..rounds {
            let mut d = FlvDemuxer::from_bytes(data.clone())?;
            while let Some(p) = d.next_packet()? {
                packets += 1;
                std::hint::black_box(&p);
            }
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    let mb = (data.len() as u64 * rounds) as f64 / 1e6;
    println!(
        "flv_demux {path}: {rounds} rounds of {} bytes, best {best:.3} s, {:.0} MB/s, {:.1} M packets/s",
        data.len(),
        mb / best,
        packets as f64 / 3.0 / best / 1e6
    );
    Ok(())
}
