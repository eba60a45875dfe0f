//! AMF0 and AMF3, Adobe's Action Message Formats: the encoding of FLV script tags (`onMetaData`)
//! and of RTMP commands, shared objects and data messages.
//!
//! | Spec | Where |
//! |------|-------|
//! | Action Message Format -- AMF 0 (Adobe, December 2007), section 2 "AMF 0 Data Types" | [`amf0`] |
//! | Action Message Format -- AMF 3 (Adobe, January 2013), section 3 "AMF 3 Data Types", including the Flash Player 10 Vector and Dictionary types | [`amf3`] |
//!
//! Both formats decode to and encode from one value type, [`AmfValue`], so a caller that reads
//! `onMetaData` does not care whether a property came as an AMF0 number or, behind the AMF0
//! "AVM+" marker 0x11, as an AMF3 integer ([`AmfValue::as_f64`] answers for both).
//!
//! # Hostile input
//!
//! Decoding never panics, never nests deeper than [`MAX_DEPTH`], and stops before the values it
//! has produced pass [`MAX_DECODED_BYTES`] (an estimate of their heap, counted before each
//! allocation; a growing `Vec` may hold up to twice what it was charged). Lengths and counts read
//! from the wire are checked against the bytes that remain before anything is reserved: every
//! item takes at least one byte, so a count larger than the remaining input is an error at once
//! rather than a huge `Vec::with_capacity`.
//!
//! # References
//!
//! - AMF0 reference (marker 0x07) is kept unresolved as [`AmfValue::Reference`]: AMF0 allows
//!   cycles (an object that refers to itself), which a tree cannot hold, and no writer muxkit
//!   meets uses references in FLV metadata or RTMP commands. Kept as an index it round-trips byte
//!   for byte and expands nothing. The decoder still checks that the index names a complex value
//!   already begun.
//! - AMF3 references (strings, objects, traits) are resolved, because AMF3 writers use them
//!   pervasively (every repeated property name is a string reference) and callers want plain
//!   values. A referenced object is decoded again from its bytes, at the depth of the reference,
//!   so the result obeys [`MAX_DEPTH`] and every value it yields is charged to the budget as it is
//!   made: a few bytes of nested references cannot expand exponentially ("billion laughs"). A
//!   reference to an object that is still being decoded (a cycle) is an error: a tree cannot
//!   hold it.

pub mod amf0;
pub mod amf3;
mod input;
mod json;
#[cfg(test)]
mod testutil;
pub mod value;

use std::fmt;

pub use value::{AmfObject, AmfValue};

/// How deeply objects and arrays may nest while decoding.
///
/// Real producers (ffmpeg, OBS, Flash Player, FMS, nginx-rtmp, SRS) never nest more than about
/// four levels: `onMetaData` holds a `keyframes` object holding two arrays. Decoding recurses once
/// per level, so an unbounded depth would let a few kilobytes of `[0x0A, 0, 0, 0, 1]` overflow the
/// stack; 64 leaves a wide margin over real data and a small, fixed stack use.
pub const MAX_DEPTH: usize = 64;

/// The most heap, in bytes (estimated), that one decoder may fill with decoded values.
///
/// Every AMF payload muxkit reads is at most 16 MiB (the FLV tag `DataSize` and the RTMP message
/// length are 24-bit fields), and honest data decodes to a few times its size. AMF3 references
/// expand, so without a budget 100 bytes of references to references could ask for 2^40 values;
/// and a count field is only checked against the remaining input, which still lets 16 MiB of
/// one-byte nulls claim a gigabyte of `AmfValue`s. Each decoded value is charged
/// `size_of::<AmfValue>()` plus its string and byte payload, each reference-table entry its size,
/// and decoding stops with [`AmfError::BudgetExceeded`] before allocating past the limit. The
/// budget also bounds time, since every value decoded is charged. A caller that trusts its input
/// can raise it per decoder (`with_budget`).
pub const MAX_DECODED_BYTES: usize = 64 << 20;

/// Which of the two formats an error was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AmfVersion {
    /// AMF0, the format of FLV script tags and RTMP commands.
    Amf0,
    /// AMF3, used behind the AMF0 AVM+ marker and by RTMP AMF3 messages.
    Amf3,
}

impl fmt::Display for AmfVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AmfVersion::Amf0 => "amf0",
            AmfVersion::Amf3 => "amf3",
        })
    }
}

/// Which AMF3 reference table a reference pointed into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AmfTable {
    /// The AMF0 table of complex values (objects, typed objects, ECMA and strict arrays).
    Amf0Object,
    /// The AMF3 string table (strings, property names, class names).
    String,
    /// The AMF3 object table (objects, arrays, dates, XML, byte arrays, vectors, dictionaries).
    Object,
    /// The AMF3 traits table (class descriptions shared by objects of one class).
    Traits,
}

impl fmt::Display for AmfTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AmfTable::Amf0Object => "complex value",
            AmfTable::String => "string",
            AmfTable::Object => "object",
            AmfTable::Traits => "traits",
        })
    }
}

/// Malformed or hostile AMF data.
///
/// Every variant carries `offset`, the byte offset from the start of the buffer given to the
/// decoder, so the byte can be found in a capture or a hex dump of the FLV tag.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AmfError {
    /// The data ended inside a value.
    #[error("{version}: unexpected end of data at byte {offset}")]
    Truncated {
        /// The format being decoded.
        version: AmfVersion,
        /// Where the missing bytes were expected.
        offset: usize,
    },
    /// A length or count claims more than the remaining bytes could hold.
    #[error(
        "{version}: {what} at byte {offset} claims {claimed} but only {remaining} bytes remain"
    )]
    LengthExceedsData {
        /// The format being decoded.
        version: AmfVersion,
        /// Where the length field starts.
        offset: usize,
        /// What was being counted ("string bytes", "strict array items", ...).
        what: &'static str,
        /// The length or count read.
        claimed: u64,
        /// How many bytes were left after the length field.
        remaining: usize,
    },
    /// A marker the spec reserves and no producer writes (AMF0 movieclip 0x04, recordset 0x0E).
    #[error("{version}: reserved marker 0x{marker:02x} at byte {offset}")]
    ReservedMarker {
        /// The format being decoded.
        version: AmfVersion,
        /// Where the marker is.
        offset: usize,
        /// The marker byte.
        marker: u8,
    },
    /// A marker byte the spec does not define.
    #[error("{version}: unknown marker 0x{marker:02x} at byte {offset}")]
    UnknownMarker {
        /// The format being decoded.
        version: AmfVersion,
        /// Where the marker is.
        offset: usize,
        /// The marker byte.
        marker: u8,
    },
    /// The AMF0 object-end marker 0x09 where a value was expected.
    #[error("amf0: object-end marker 0x09 at byte {offset} outside an object")]
    UnexpectedObjectEnd {
        /// Where the marker is.
        offset: usize,
    },
    /// An empty AMF0 property name not followed by the object-end marker 0x09.
    #[error(
        "amf0: empty property name must be followed by object-end marker 0x09, found 0x{found:02x} at byte {offset}"
    )]
    MissingObjectEnd {
        /// Where the byte after the empty name is.
        offset: usize,
        /// The byte found instead of 0x09.
        found: u8,
    },
    /// A string, property name or XML text that is not valid UTF-8.
    #[error("{version}: invalid utf-8 at byte {offset}")]
    InvalidUtf8 {
        /// The format being decoded.
        version: AmfVersion,
        /// The first byte that is not part of a valid UTF-8 sequence.
        offset: usize,
    },
    /// Objects and arrays nest deeper than [`MAX_DEPTH`].
    #[error("{version}: nesting deeper than {limit} levels at byte {offset}")]
    TooDeep {
        /// The format being decoded.
        version: AmfVersion,
        /// Where the value that would go one level too deep starts.
        offset: usize,
        /// The depth limit in force.
        limit: usize,
    },
    /// The decoded values would occupy more memory than the decoder's budget.
    #[error("{version}: decoded values would exceed the budget of {limit} bytes at byte {offset}")]
    BudgetExceeded {
        /// The format being decoded.
        version: AmfVersion,
        /// Where the value that would cross the budget starts.
        offset: usize,
        /// The budget in force (see [`MAX_DECODED_BYTES`]).
        limit: usize,
    },
    /// A reference to a table entry that has not been defined yet.
    #[error(
        "{version}: reference to {table} {index} at byte {offset}, but only {defined} are defined"
    )]
    UnknownReference {
        /// The format being decoded.
        version: AmfVersion,
        /// Where the reference is.
        offset: usize,
        /// The table referred to.
        table: AmfTable,
        /// The index read.
        index: usize,
        /// How many entries the table holds.
        defined: usize,
    },
    /// An AMF3 reference to an object that is still being decoded: a cycle, which a tree of
    /// [`AmfValue`]s cannot hold.
    #[error(
        "amf3: reference to object {index} at byte {offset} is a cycle (the object contains itself)"
    )]
    CyclicReference {
        /// Where the reference is.
        offset: usize,
        /// The object table index read.
        index: usize,
    },
    /// An AMF3 externalizable object: its body is written by the class's own code, in a layout
    /// only that class knows, so it cannot be decoded (or skipped) generically.
    #[error("amf3: externalizable class \"{class_name}\" at byte {offset} cannot be decoded")]
    Externalizable {
        /// Where the object starts.
        offset: usize,
        /// The class named by the traits (for example `flex.messaging.io.ArrayCollection`).
        class_name: String,
    },
}

impl AmfError {
    /// The byte offset, from the start of the decoded buffer, where the problem was found.
    pub fn offset(&self) -> usize {
        match self {
            AmfError::Truncated { offset, .. }
            | AmfError::LengthExceedsData { offset, .. }
            | AmfError::ReservedMarker { offset, .. }
            | AmfError::UnknownMarker { offset, .. }
            | AmfError::UnexpectedObjectEnd { offset }
            | AmfError::MissingObjectEnd { offset, .. }
            | AmfError::InvalidUtf8 { offset, .. }
            | AmfError::TooDeep { offset, .. }
            | AmfError::BudgetExceeded { offset, .. }
            | AmfError::UnknownReference { offset, .. }
            | AmfError::CyclicReference { offset, .. }
            | AmfError::Externalizable { offset, .. } => *offset,
        }
    }

    /// The same error reported at `at` instead.
    pub(crate) fn at_offset(mut self, at: usize) -> Self {
        match &mut self {
            AmfError::Truncated { offset, .. }
            | AmfError::LengthExceedsData { offset, .. }
            | AmfError::ReservedMarker { offset, .. }
            | AmfError::UnknownMarker { offset, .. }
            | AmfError::UnexpectedObjectEnd { offset }
            | AmfError::MissingObjectEnd { offset, .. }
            | AmfError::InvalidUtf8 { offset, .. }
            | AmfError::TooDeep { offset, .. }
            | AmfError::BudgetExceeded { offset, .. }
            | AmfError::UnknownReference { offset, .. }
            | AmfError::CyclicReference { offset, .. }
            | AmfError::Externalizable { offset, .. } => *offset = at,
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_with_offsets() {
        let e = AmfError::ReservedMarker {
            version: AmfVersion::Amf0,
            offset: 12,
            marker: 0x0e,
        };
        assert_eq!(e.to_string(), "amf0: reserved marker 0x0e at byte 12");
        assert_eq!(e.offset(), 12);
        let e = AmfError::UnknownReference {
            version: AmfVersion::Amf3,
            offset: 3,
            table: AmfTable::Traits,
            index: 5,
            defined: 0,
        };
        assert_eq!(
            e.to_string(),
            "amf3: reference to traits 5 at byte 3, but only 0 are defined"
        );
    }
}
