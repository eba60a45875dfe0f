//! SDT and EIT present/following: the names of services and events, kept for display.

use crate::error::Result;
use crate::ts::psi::{PsiSection, SectionAssembler};
use crate::ts::sdt::{DvbEvent, DvbService, MAX_SI_ENTRIES, SDT_PID};

use super::{Loc, TsStreamParser};

/// What the SDT and EIT said, latest first wins.
#[derive(Debug, Default)]
pub(super) struct ServiceInfo {
    sdt_asm: SectionAssembler,
    eit_asm: SectionAssembler,
    /// The last section of each kind applied, so a repeated one costs no parse.
    last_sdt: Option<PsiSection>,
    last_eit: Vec<PsiSection>,
    pub(super) services: Vec<DvbService>,
    pub(super) events: Vec<DvbEvent>,
}

impl TsStreamParser {
    /// Reads SDT (PID 0x11) and EIT (PID 0x12) sections; bad ones are counted and skipped
    /// like bad PAT/PMT sections. Tables other than the actual TS's SDT (0x42) and
    /// present/following EIT (0x4E) are ignored (BAT, other TS, schedules).
    pub(super) fn on_service_info(
        &mut self,
        at: Loc,
        pid: u16,
        pusi: bool,
        payload: &[u8],
    ) -> Result<()> {
        let raw = if pid == SDT_PID {
            self.si.sdt_asm.push(pusi, payload)
        } else {
            self.si.eit_asm.push(pusi, payload)
        };
        for s in self.sections(at, raw)? {
            if s.table_id == DvbService::TABLE_ID && self.si.last_sdt.as_ref() != Some(&s) {
                match DvbService::from_sdt(&s) {
                    Ok(list) => {
                        for service in list {
                            let known = &mut self.si.services;
                            if let Some(i) = known
                                .iter()
                                .position(|k| k.service_id == service.service_id)
                            {
                                known[i] = service;
                            } else if known.len() < MAX_SI_ENTRIES {
                                known.push(service);
                            }
                        }
                        self.si.services.sort_by_key(|k| k.service_id);
                        self.si.last_sdt = Some(s);
                    }
                    Err(e) => {
                        self.report.bad_sections += 1;
                        self.damage(at, e)?;
                    }
                }
            } else if s.table_id == DvbEvent::TABLE_ID && !self.si.last_eit.contains(&s) {
                match DvbEvent::from_eit(&s) {
                    Ok(list) => {
                        let events = &mut self.si.events;
                        // A new section replaces what the same service's same slot said.
                        events.retain(|e| {
                            !(e.service_id == s.table_id_extension
                                && e.present == (s.section_number == 0))
                        });
                        for e in list {
                            if events.len() < MAX_SI_ENTRIES {
                                events.push(e);
                            }
                        }
                        if self.si.last_eit.len() >= 16 {
                            self.si.last_eit.remove(0);
                        }
                        self.si.last_eit.push(s);
                    }
                    Err(e) => {
                        self.report.bad_sections += 1;
                        self.damage(at, e)?;
                    }
                }
            }
        }
        Ok(())
    }
}
