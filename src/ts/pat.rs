//! The program association table (ISO/IEC 13818-1 §2.4.4.3): which PID carries each
//! program's PMT. Always on PID 0, `table_id` 0x00.

use bytes::{BufMut, Bytes};

use super::TsError;
use super::packet::Pid;
use super::psi::PsiSection;

/// A program association table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[doc(alias = "PAT")]
pub struct Pat {
    /// `transport_stream_id`: tells this multiplex from others in a network.
    pub transport_stream_id: u16,
    /// `(program_number, PID)` in table order: the PMT PID of each program, or for
    /// program_number 0 the network information table's PID.
    pub programs: Vec<(u16, Pid)>,
}

impl Pat {
    /// The PAT's `table_id`.
    pub const TABLE_ID: u8 = 0x00;

    /// Reads a PAT from a parsed section (one section: muxkit's inputs never need more than
    /// the 253 programs one section holds).
    pub fn from_section(s: &PsiSection) -> Result<Pat, TsError> {
        const WHAT: &str = "pat";
        if s.table_id != Self::TABLE_ID {
            return Err(TsError::invalid(
                WHAT,
                0,
                format!("table_id {:#04x}, expected 0x00", s.table_id),
            ));
        }
        if s.body.len() % 4 != 0 {
            return Err(TsError::invalid(
                WHAT,
                PsiSection::HEADER_LEN,
                format!("{} bytes of programs is not a multiple of 4", s.body.len()),
            ));
        }
        let programs = s
            .body
            .chunks_exact(4)
            .map(|c| {
                (
                    u16::from_be_bytes([c[0], c[1]]),
                    Pid::from_bits(u16::from_be_bytes([c[2], c[3]])),
                )
            })
            .collect();
        Ok(Pat {
            transport_stream_id: s.table_id_extension,
            programs,
        })
    }

    /// The PMT PIDs, without the network PID (program 0).
    pub fn pmt_pids(&self) -> impl Iterator<Item = (u16, Pid)> + '_ {
        self.programs.iter().copied().filter(|&(n, _)| n != 0)
    }

    /// The table as a section: version 0, current, section 0 of 0 (set `version` on the
    /// result when the table changes). Reserved bits before each PID are written as 1.
    pub fn to_section(&self) -> PsiSection {
        let mut body = Vec::with_capacity(self.programs.len() * 4);
        for &(number, pid) in &self.programs {
            body.put_u16(number);
            body.put_u16(0xE000 | pid.value());
        }
        PsiSection {
            table_id: Self::TABLE_ID,
            table_id_extension: self.transport_stream_id,
            version: 0,
            current_next: true,
            section_number: 0,
            last_section_number: 0,
            body: Bytes::from(body),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_matches_ffmpeg() {
        let pat = Pat {
            transport_stream_id: 1,
            programs: vec![(1, Pid::new(0x1000).unwrap())],
        };
        let bytes = pat.to_section().to_bytes().unwrap();
        // What ffmpeg writes for its single program.
        assert_eq!(
            &bytes[..],
            [
                0x00, 0xB0, 0x0D, 0x00, 0x01, 0xC1, 0x00, 0x00, 0x00, 0x01, 0xF0, 0x00, 0x2A, 0xB1,
                0x04, 0xB2
            ]
        );
        let back = Pat::from_section(&PsiSection::parse(&bytes).unwrap()).unwrap();
        assert_eq!(back, pat);
    }

    #[test]
    fn network_pid_and_bad_bodies() {
        let pat = Pat {
            transport_stream_id: 7,
            programs: vec![(0, Pid::new(0x10).unwrap()), (3, Pid::new(0x100).unwrap())],
        };
        let back = Pat::from_section(&pat.to_section()).unwrap();
        assert_eq!(
            back.pmt_pids().collect::<Vec<_>>(),
            [(3, Pid::new(0x100).unwrap())]
        );
        let mut s = pat.to_section();
        s.body = Bytes::from_static(&[0, 1, 0xE0]);
        assert!(Pat::from_section(&s).is_err());
        s.table_id = 2;
        assert!(Pat::from_section(&s).is_err());
    }
}
