//! The byte cursor both decoders read through, with the memory budget beside it.
//!
//! Keeping the budget in the cursor lets an AMF0 decoder hand its cursor to the AMF3 decoder at
//! an AVM+ marker and have one budget (and one set of offsets) cover the whole buffer.

use std::mem::size_of;

use super::{AmfError, AmfValue, AmfVersion, MAX_DEPTH};

/// The estimated heap cost of one decoded value node.
pub(crate) const NODE_COST: usize = size_of::<AmfValue>();

/// The estimated heap cost of one property name beside its value (the value charges itself).
pub(crate) const KEY_COST: usize = size_of::<String>();

/// A cursor over the decoder's buffer that also keeps the memory budget.
#[derive(Debug)]
pub(crate) struct Input<'a> {
    data: &'a [u8],
    pos: usize,
    /// Which format errors name; the AMF0 decoder switches it around an AVM+ value.
    pub(crate) version: AmfVersion,
    limit: usize,
    /// Everything charged so far: decoded values and reference-table entries.
    used: usize,
}

impl<'a> Input<'a> {
    pub(crate) fn new(data: &'a [u8], version: AmfVersion, limit: usize) -> Self {
        Input {
            data,
            pos: 0,
            version,
            limit,
            used: 0,
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Moves to `pos`, an offset already read (the AMF3 decoder replays referenced values).
    pub(crate) fn seek(&mut self, pos: usize) {
        self.pos = pos.min(self.data.len());
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub(crate) fn truncated(&self) -> AmfError {
        AmfError::Truncated {
            version: self.version,
            offset: self.data.len(),
        }
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], AmfError> {
        let data: &'a [u8] = self.data;
        let out = data
            .get(self.pos..self.pos.saturating_add(n))
            .ok_or_else(|| self.truncated())?;
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], AmfError> {
        let b = self.bytes(N)?;
        let mut out = [0; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, AmfError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, AmfError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn i16(&mut self) -> Result<i16, AmfError> {
        Ok(i16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, AmfError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn f64(&mut self) -> Result<f64, AmfError> {
        Ok(f64::from_be_bytes(self.array()?))
    }

    /// Checks a count read at `at` against the bytes left, each item taking at least
    /// `min_item_bytes`, and returns how many items it is safe to reserve room for (see
    /// [`Input::reservable`]).
    pub(crate) fn check_count(
        &self,
        at: usize,
        what: &'static str,
        claimed: u64,
        min_item_bytes: usize,
        item_cost: usize,
    ) -> Result<usize, AmfError> {
        let remaining = self.remaining();
        if claimed > (remaining / min_item_bytes.max(1)) as u64 {
            return Err(AmfError::LengthExceedsData {
                version: self.version,
                offset: at,
                what,
                claimed,
                remaining,
            });
        }
        Ok(self.reservable(claimed, min_item_bytes, item_cost))
    }

    /// How many of `claimed` items it is safe to reserve room for: never more than the remaining
    /// input could hold (each item takes `min_item_bytes`) nor than the budget could pay for
    /// (each costs `item_cost`). A count that is only a hint (AMF0 ECMA arrays) goes here directly.
    pub(crate) fn reservable(
        &self,
        claimed: u64,
        min_item_bytes: usize,
        item_cost: usize,
    ) -> usize {
        let fits = self.remaining() / min_item_bytes.max(1);
        let affordable = (self.limit - self.used) / item_cost.max(1);
        usize::try_from(claimed)
            .unwrap_or(usize::MAX)
            .min(fits)
            .min(affordable)
    }

    /// Reads `len` bytes of UTF-8 that a length field at `at` announced.
    pub(crate) fn utf8(&mut self, at: usize, len: u64) -> Result<&'a str, AmfError> {
        self.check_count(at, "string bytes", len, 1, 1)?;
        let start = self.pos;
        let bytes = self.bytes(len as usize)?;
        std::str::from_utf8(bytes).map_err(|e| AmfError::InvalidUtf8 {
            version: self.version,
            offset: start + e.valid_up_to(),
        })
    }

    /// Charges `cost` bytes (decoded values or table entries) to the budget, failing before the
    /// caller allocates them if the budget would be exceeded; `at` is the value's offset.
    pub(crate) fn charge(&mut self, at: usize, cost: usize) -> Result<(), AmfError> {
        match self.used.checked_add(cost) {
            Some(used) if used <= self.limit => {
                self.used = used;
                Ok(())
            }
            _ => Err(AmfError::BudgetExceeded {
                version: self.version,
                offset: at,
                limit: self.limit,
            }),
        }
    }

    /// Fails if a container at `at` would open nesting level `depth + 1` beyond [`MAX_DEPTH`].
    pub(crate) fn enter(&self, at: usize, depth: usize) -> Result<usize, AmfError> {
        if depth >= MAX_DEPTH {
            return Err(AmfError::TooDeep {
                version: self.version,
                offset: at,
                limit: MAX_DEPTH,
            });
        }
        Ok(depth + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounded() {
        let mut i = Input::new(&[1, 2, 3], AmfVersion::Amf0, 100);
        assert_eq!(i.u16().unwrap(), 0x0102);
        assert_eq!(
            i.u16(),
            Err(AmfError::Truncated {
                version: AmfVersion::Amf0,
                offset: 3
            })
        );
        assert_eq!(i.pos(), 2);
        assert_eq!(i.bytes(usize::MAX).unwrap_err().offset(), 3);
    }

    #[test]
    fn counts_are_checked_before_reserving() {
        let i = Input::new(&[0; 10], AmfVersion::Amf3, 1000);
        assert!(i.check_count(0, "items", 11, 1, 8).is_err());
        assert_eq!(i.check_count(0, "items", 10, 1, 8).unwrap(), 10);
        assert_eq!(i.check_count(0, "items", 10, 1, 500).unwrap(), 2);
        assert!(i.check_count(0, "items", u64::MAX, 0, 0).is_err());
    }

    #[test]
    fn budget_is_enforced() {
        let mut i = Input::new(&[], AmfVersion::Amf3, 10);
        i.charge(0, 6).unwrap();
        i.charge(0, 4).unwrap();
        assert!(matches!(
            i.charge(0, 1),
            Err(AmfError::BudgetExceeded { limit: 10, .. })
        ));
        assert!(i.charge(0, usize::MAX).is_err());
    }

    #[test]
    fn invalid_utf8_names_the_byte() {
        let mut i = Input::new(b"ab\xffc", AmfVersion::Amf0, 100);
        assert_eq!(
            i.utf8(0, 4),
            Err(AmfError::InvalidUtf8 {
                version: AmfVersion::Amf0,
                offset: 2
            })
        );
    }
}
