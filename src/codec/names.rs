//! Names of codec facts as ffprobe prints them, so `inspect` output can be compared with it
//! field for field: pixel formats, chroma formats, ISO/IEC 23091-2 colour codes (the values
//! H.264/H.265 VUI, `vpcC` and `colr` carry), and channel layouts.
//!
//! The spellings are libavutil's (`av_get_pix_fmt_name`, `av_color_*_name`,
//! `av_channel_layout_describe`).

/// `"4:0:0"`, `"4:2:0"`, `"4:2:2"` or `"4:4:4"` for `chroma_format_idc` 0..=3.
pub fn chroma_format(chroma_format_idc: u8) -> Option<&'static str> {
    Some(match chroma_format_idc {
        0 => "4:0:0",
        1 => "4:2:0",
        2 => "4:2:2",
        3 => "4:4:4",
        _ => return None,
    })
}

/// A planar YUV (or gray) pixel format name: `yuv420p`, `yuv422p10le`, `gray12le`, ...
///
/// `jpeg` picks the `yuvj` names ffmpeg's H.264 decoder uses for 8-bit full-range video;
/// `rgb` (matrix_coefficients 0 in 4:4:4) picks the planar RGB names (`gbrp`, `gbrp10le`).
/// `None` for a depth or layout with no ffmpeg name.
pub fn pix_fmt(chroma_format_idc: u8, bit_depth: u8, jpeg: bool, rgb: bool) -> Option<String> {
    let base = match chroma_format_idc {
        0 => "gray",
        1 => "yuv420p",
        2 => "yuv422p",
        3 if rgb => "gbrp",
        3 => "yuv444p",
        _ => return None,
    };
    match bit_depth {
        8 if jpeg && chroma_format_idc != 0 && !rgb => Some(base.replacen("yuv", "yuvj", 1)),
        8 => Some(base.to_owned()),
        9 | 10 | 12 | 14 | 16 => Some(format!("{base}{bit_depth}le")),
        _ => None,
    }
}

/// `color_range`: `tv` (limited, studio swing) or `pc` (full).
pub fn color_range(full_range: bool) -> &'static str {
    if full_range { "pc" } else { "tv" }
}

/// `color_primaries` of ISO/IEC 23091-2 Table 2; `None` for 2 (unspecified) and reserved codes.
pub fn color_primaries(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "bt709",
        4 => "bt470m",
        5 => "bt470bg",
        6 => "smpte170m",
        7 => "smpte240m",
        8 => "film",
        9 => "bt2020",
        10 => "smpte428",
        11 => "smpte431",
        12 => "smpte432",
        22 => "ebu3213",
        _ => return None,
    })
}

/// `color_transfer` of ISO/IEC 23091-2 Table 3; `None` for 2 (unspecified) and reserved codes.
/// (ffprobe prints 4 and 5 as `bt470m` and `bt470bg`; `gamma22`/`gamma28` are only its
/// option aliases.)
pub fn color_transfer(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "bt709",
        4 => "bt470m",
        5 => "bt470bg",
        6 => "smpte170m",
        7 => "smpte240m",
        8 => "linear",
        9 => "log100",
        10 => "log316",
        11 => "iec61966-2-4",
        12 => "bt1361e",
        13 => "iec61966-2-1",
        14 => "bt2020-10",
        15 => "bt2020-12",
        16 => "smpte2084",
        17 => "smpte428",
        18 => "arib-std-b67",
        _ => return None,
    })
}

/// `color_space` (matrix coefficients) of ISO/IEC 23091-2 Table 4; `None` for 2 (unspecified)
/// and reserved codes.
pub fn color_space(code: u8) -> Option<&'static str> {
    Some(match code {
        0 => "gbr",
        1 => "bt709",
        4 => "fcc",
        5 => "bt470bg",
        6 => "smpte170m",
        7 => "smpte240m",
        8 => "ycgco",
        9 => "bt2020nc",
        10 => "bt2020c",
        11 => "smpte2085",
        12 => "chroma-derived-nc",
        13 => "chroma-derived-c",
        14 => "ictcp",
        _ => return None,
    })
}

/// The layout ffmpeg gives a plain channel count when nothing says more (`mono`, `stereo`).
pub fn channel_layout_for_count(channels: u8) -> Option<&'static str> {
    Some(match channels {
        1 => "mono",
        2 => "stereo",
        _ => return None,
    })
}

/// The layout of an AAC `channelConfiguration` (ISO/IEC 14496-3 Table 1.19) as ffmpeg's AAC
/// decoder names it; `None` for 0 (a PCE says) and the reserved or later codes.
pub fn aac_channel_layout(channel_config: u8) -> Option<&'static str> {
    Some(match channel_config {
        1 => "mono",
        2 => "stereo",
        3 => "3.0",
        4 => "4.0",
        5 => "5.0",
        6 => "5.1",
        7 => "7.1(wide)",
        _ => return None,
    })
}

/// The layout of an AC-3 `acmod` and `lfeon` (ATSC A/52 Table 5.8) as ffmpeg names it.
pub fn ac3_channel_layout(acmod: u8, lfe: bool) -> Option<&'static str> {
    Some(match (acmod, lfe) {
        (0 | 2, false) => "stereo",
        (1, false) => "mono",
        (3, false) => "3.0",
        (4, false) => "3.0(back)",
        (5, false) => "4.0",
        (6, false) => "quad(side)",
        (7, false) => "5.0(side)",
        (2, true) => "2.1",
        (3, true) => "3.1",
        (5, true) => "4.1",
        (7, true) => "5.1(side)",
        _ => return None,
    })
}

/// Rounds a measured frame rate to the nearest standard one when within 1%, as ffmpeg does
/// for `avg_frame_rate` (libavformat `get_std_framerate`: n/12 fps up to 30, whole rates up
/// to 60, 80, 120, 240, and the 1000/1001 family of 12, 15, 24, 30, 48 and 60).
pub fn round_to_standard_rate((num, den): (u64, u64)) -> (u64, u64) {
    if num == 0 || den == 0 {
        return (num, den);
    }
    let measured = num as f64 / den as f64;
    // Each candidate as (numerator, denominator) of frames per second.
    let twelfths = (1..=360u64).map(|i| (i, 12));
    let whole = (31..=60u64).chain([80, 120, 240]).map(|i| (i, 1));
    let ntsc = [24u64, 30, 60, 12, 15, 48]
        .into_iter()
        .map(|i| (i * 1000, 1001));
    let best = twelfths
        .chain(whole)
        .chain(ntsc)
        .map(|(n, d)| ((measured / (n as f64 / d as f64) - 1.0).abs(), (n, d)))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((error, (n, d))) if error < 0.01 => reduce(n, d),
        _ => (num, den),
    }
}

/// Reduces `num/den` by their greatest common divisor.
pub fn reduce(num: u64, den: u64) -> (u64, u64) {
    let (mut a, mut b) = (num, den);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    match (num.checked_div(a), den.checked_div(a)) {
        (Some(n), Some(d)) => (n, d),
        _ => (num, den),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_formats_as_ffprobe() {
        assert_eq!(pix_fmt(1, 8, false, false).as_deref(), Some("yuv420p"));
        assert_eq!(pix_fmt(1, 8, true, false).as_deref(), Some("yuvj420p"));
        assert_eq!(pix_fmt(1, 10, true, false).as_deref(), Some("yuv420p10le"));
        assert_eq!(pix_fmt(2, 10, false, false).as_deref(), Some("yuv422p10le"));
        assert_eq!(pix_fmt(3, 8, false, true).as_deref(), Some("gbrp"));
        assert_eq!(pix_fmt(0, 8, true, false).as_deref(), Some("gray"));
        assert_eq!(pix_fmt(0, 10, false, false).as_deref(), Some("gray10le"));
        assert_eq!(pix_fmt(1, 11, false, false), None);
        assert_eq!(reduce(50, 2), (25, 1));
        assert_eq!(round_to_standard_rate((14000, 933)), (15, 1));
        assert_eq!(round_to_standard_rate((2997, 100)), (30000, 1001));
        assert_eq!(round_to_standard_rate((25, 1)), (25, 1));
        assert_eq!(round_to_standard_rate((1000, 3)), (1000, 3));
        assert_eq!(reduce(0, 0), (0, 0));
        assert_eq!(reduce(30000, 1001), (30000, 1001));
    }
}
