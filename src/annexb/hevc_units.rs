//! HEVC NAL units into access units: the H.265 half of [`AnnexBDemuxer`]'s front end.

use super::*;

impl AnnexBDemuxer {
    pub(super) fn hevc_nal(&mut self, nal: Nal) -> Result<()> {
        let Some(&b1) = nal.data.get(1) else {
            return self.warn(nal.offset, "hevc nal unit of 1 byte: dropped".into());
        };
        let t = (nal.data[0] >> 1) & 0x3F;
        let layer = ((nal.data[0] & 1) << 5) | (b1 >> 3);
        let tid = (b1 & 7).saturating_sub(1);
        if layer != 0 {
            return self.push_nal(&nal);
        }
        match t {
            35 => self.boundary(),
            32..=34 => {
                self.boundary()?;
                let parsed = match t {
                    32 => hevc_vps_timing(&nal.data).map(|timing| {
                        if timing.is_some() {
                            self.vps_timing = timing;
                        }
                    }),
                    33 => HevcSps::parse_with_order(&nal.data).map(|(sps, order)| {
                        self.hevc_sps.insert(sps.sps_id.into(), (sps, order));
                    }),
                    _ => slice::parse_hevc_pps(&nal.data).map(|pps| {
                        self.hevc_pps.insert(pps.pps_id, pps);
                    }),
                };
                if let Err(e) = parsed {
                    // A VPS whose timing cannot be read still goes into the record.
                    if t != 32 {
                        return self
                            .warn(nal.offset, format!("parameter set unusable ({e}): ignored"));
                    }
                }
                let list = match t {
                    32 => &mut self.au.vps,
                    33 => &mut self.au.sps,
                    _ => &mut self.au.pps,
                };
                if take_parameter_set(list, &nal.data) {
                    self.push_nal(&nal)?;
                }
                Ok(())
            }
            39 | 41..=44 | 48..=55 => {
                self.boundary()?;
                self.push_nal(&nal)
            }
            0..=31 => self.hevc_slice(nal, t, tid),
            36 => {
                self.after_eos = true;
                self.push_nal(&nal)
            }
            _ => self.push_nal(&nal),
        }
    }

    fn hevc_slice(&mut self, nal: Nal, t: u8, tid: u8) -> Result<()> {
        let first = slice::hevc_first_slice_in_pic(&nal.data).unwrap_or(false);
        if first {
            self.boundary()?;
        }
        if !self.au.has_vcl {
            if !first {
                return self.drop_slice(
                    &nal,
                    "continuing a picture whose first slice is missing".into(),
                );
            }
            let lsb = slice::hevc_slice_pps_id(&nal.data).and_then(|id| {
                let pps = self.hevc_pps.get(&id).copied();
                let sps = pps.and_then(|p| self.hevc_sps.get(&p.sps_id));
                match (pps, sps) {
                    (Some(pps), Some((sps, order))) => {
                        slice::parse_hevc_poc_lsb(&nal.data, &pps, sps, order)
                            .map(|lsb| Some((lsb, order.log2_max_pic_order_cnt_lsb)))
                    }
                    _ => Ok(None),
                }
            });
            let (lsb, log2) = match lsb {
                Ok(Some(v)) => v,
                Ok(None) => {
                    return self.drop_slice(
                        &nal,
                        "referring to parameter sets not (or not usably) seen yet".into(),
                    );
                }
                Err(e) => return self.drop_slice(&nal, format!("with a damaged header ({e})")),
            };
            let irap = (16..=23).contains(&t);
            let reset = irap && (t <= 20 || self.after_eos);
            let anchor = tid == 0 && !(6..=9).contains(&t) && !(t <= 14 && t % 2 == 0);
            self.au.key = self.poc.hevc(reset, anchor, lsb, 1 << log2);
            self.after_eos = false;
            self.au.keyframe = irap;
        }
        self.take_slice(&nal)?;
        Ok(())
    }
}
