//! [`AmfValue`] to and from `serde_json`, for `muxkit inspect --json` and for building metadata
//! from JSON.
//!
//! JSON has no undefined, no dates, no non-finite numbers, no byte strings, and only one kind of
//! map, so values JSON lacks are written as small objects whose first key starts with `$` (a
//! "tag"). The mapping, lossless for every value (NaN payload bits aside):
//!
//! | [`AmfValue`] | JSON |
//! |--------------|------|
//! | `Number(n)`, finite | `n` (`1.0` stays `1.0`) |
//! | `Number(n)`, NaN / ±infinity | `{"$number": "NaN"}`, `"Infinity"`, `"-Infinity"` |
//! | `Boolean`, `String`, `Null` | `true`/`false`, `"..."`, `null` |
//! | `Undefined` | `{"$undefined": true}` |
//! | `Unsupported` | `{"$unsupported": true}` |
//! | `Reference(i)` | `{"$ref": i}` |
//! | `EcmaArray` | a plain object, keys in order; `{"$ecma": P}` if a key repeats or starts with `$` |
//! | `StrictArray` | an array |
//! | `Object` | `{"$object": P}`, plus `"$class": name` if typed, `"$sealed": n` if n > 0, `"$dynamic": false` if not dynamic |
//! | `Date` | `{"$date": millis, "$tz": minutes}` |
//! | `XmlDocument(s)`, `Xml(s)` | `{"$xml_document": s}`, `{"$xml": s}` |
//! | `Integer(i)` | `{"$integer": i}` |
//! | `Array` | `{"$array": [dense...], "$assoc": P}` |
//! | `ByteArray` | `{"$bytes": "lowercase hex"}` |
//! | `VectorInt`, `VectorUint`, `VectorDouble` | `{"$vector_int": [...], "$fixed": b}`, `$vector_uint`, `$vector_double` |
//! | `VectorObject` | `{"$vector_object": [...], "$type": name, "$fixed": b}` |
//! | `Dictionary` | `{"$dictionary": [[key, value], ...], "$weak_keys": b}` |
//!
//! `P`, a property list, is a JSON object when its keys are unique, else an array of
//! `[key, value]` pairs. A plain JSON object becomes an `EcmaArray` (the container `onMetaData`
//! uses, and what ffprobe-style tools show as a plain map), JSON numbers become `Number` (never
//! `Integer`, which AMF0 could only carry behind an AVM+ marker), and an object whose first key is
//! not a known tag, or whose tag is malformed, is read as a plain object.

use serde_json::{Map, Value as Json, json};

use super::{AmfObject, AmfValue};

impl AmfValue {
    /// This value as JSON, using the lossless mapping in the table of this module's docs.
    pub fn to_json(&self) -> Json {
        match self {
            AmfValue::Number(n) => number_to_json(*n),
            AmfValue::Boolean(b) => Json::Bool(*b),
            AmfValue::String(s) => Json::String(s.clone()),
            AmfValue::Null => Json::Null,
            AmfValue::Undefined => json!({"$undefined": true}),
            AmfValue::Unsupported => json!({"$unsupported": true}),
            AmfValue::Reference(i) => json!({"$ref": i}),
            AmfValue::Integer(i) => json!({"$integer": i}),
            AmfValue::StrictArray(items) => {
                Json::Array(items.iter().map(AmfValue::to_json).collect())
            }
            AmfValue::EcmaArray(pairs) => {
                if unique_keys(pairs) && !pairs.iter().any(|(k, _)| k.starts_with('$')) {
                    properties_to_json(pairs)
                } else {
                    json!({"$ecma": properties_to_json(pairs)})
                }
            }
            AmfValue::Object(o) => {
                let mut m = Map::new();
                m.insert("$object".into(), properties_to_json(&o.properties));
                if let Some(class) = &o.class_name {
                    m.insert("$class".into(), Json::String(class.clone()));
                }
                if o.sealed_count > 0 {
                    m.insert("$sealed".into(), json!(o.sealed_count));
                }
                if !o.dynamic {
                    m.insert("$dynamic".into(), Json::Bool(false));
                }
                Json::Object(m)
            }
            AmfValue::Date {
                millis,
                timezone_minutes,
            } => {
                json!({"$date": number_to_json(*millis), "$tz": timezone_minutes})
            }
            AmfValue::XmlDocument(s) => json!({"$xml_document": s}),
            AmfValue::Xml(s) => json!({"$xml": s}),
            AmfValue::Array { dense, associative } => json!({
                "$array": dense.iter().map(AmfValue::to_json).collect::<Vec<_>>(),
                "$assoc": properties_to_json(associative),
            }),
            AmfValue::ByteArray(b) => json!({"$bytes": hex(b)}),
            AmfValue::VectorInt { fixed, items } => json!({"$vector_int": items, "$fixed": fixed}),
            AmfValue::VectorUint { fixed, items } => {
                json!({"$vector_uint": items, "$fixed": fixed})
            }
            AmfValue::VectorDouble { fixed, items } => json!({
                "$vector_double": items.iter().map(|n| number_to_json(*n)).collect::<Vec<_>>(),
                "$fixed": fixed,
            }),
            AmfValue::VectorObject {
                fixed,
                type_name,
                items,
            } => json!({
                "$vector_object": items.iter().map(AmfValue::to_json).collect::<Vec<_>>(),
                "$type": type_name,
                "$fixed": fixed,
            }),
            AmfValue::Dictionary { weak_keys, entries } => json!({
                "$dictionary": entries
                    .iter()
                    .map(|(k, v)| json!([k.to_json(), v.to_json()]))
                    .collect::<Vec<_>>(),
                "$weak_keys": weak_keys,
            }),
        }
    }

    /// The value a JSON document describes: the inverse of [`AmfValue::to_json`] for everything
    /// it produces; other JSON is read as described in the mapping (plain objects become ECMA
    /// arrays, numbers become `Number`).
    pub fn from_json(json: &Json) -> AmfValue {
        match json {
            Json::Null => AmfValue::Null,
            Json::Bool(b) => AmfValue::Boolean(*b),
            Json::Number(n) => AmfValue::Number(n.as_f64().unwrap_or(f64::NAN)),
            Json::String(s) => AmfValue::String(s.clone()),
            Json::Array(items) => {
                AmfValue::StrictArray(items.iter().map(AmfValue::from_json).collect())
            }
            Json::Object(m) => {
                tagged_from_json(m).unwrap_or_else(|| AmfValue::EcmaArray(pairs_of_map(m)))
            }
        }
    }
}

fn number_to_json(n: f64) -> Json {
    match serde_json::Number::from_f64(n) {
        Some(n) => Json::Number(n),
        None if n.is_nan() => json!({"$number": "NaN"}),
        None if n > 0.0 => json!({"$number": "Infinity"}),
        None => json!({"$number": "-Infinity"}),
    }
}

fn number_from_json(json: &Json) -> Option<f64> {
    match json {
        Json::Number(n) => n.as_f64(),
        Json::Object(m) => non_finite(m.get("$number")?),
        _ => None,
    }
}

fn non_finite(name: &Json) -> Option<f64> {
    match name.as_str()? {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

fn unique_keys(pairs: &[(String, AmfValue)]) -> bool {
    let mut seen = std::collections::HashSet::with_capacity(pairs.len());
    pairs.iter().all(|(k, _)| seen.insert(k.as_str()))
}

fn properties_to_json(pairs: &[(String, AmfValue)]) -> Json {
    if unique_keys(pairs) {
        Json::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect(),
        )
    } else {
        Json::Array(pairs.iter().map(|(k, v)| json!([k, v.to_json()])).collect())
    }
}

fn pairs_of_map(m: &Map<String, Json>) -> Vec<(String, AmfValue)> {
    m.iter()
        .map(|(k, v)| (k.clone(), AmfValue::from_json(v)))
        .collect()
}

/// A property list `P`: an object, or an array of `[key, value]` pairs.
fn properties_from_json(json: &Json) -> Option<Vec<(String, AmfValue)>> {
    match json {
        Json::Object(m) => Some(pairs_of_map(m)),
        Json::Array(items) => items
            .iter()
            .map(|pair| match pair.as_array()?.as_slice() {
                [Json::String(k), v] => Some((k.clone(), AmfValue::from_json(v))),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn list<T>(json: Option<&Json>, item: impl Fn(&Json) -> Option<T>) -> Option<Vec<T>> {
    json?.as_array()?.iter().map(item).collect()
}

fn flag(m: &Map<String, Json>, key: &str, default: bool) -> Option<bool> {
    m.get(key).map_or(Some(default), Json::as_bool)
}

/// Reads a tagged object (see the module docs); `None` if `m` is not one.
fn tagged_from_json(m: &Map<String, Json>) -> Option<AmfValue> {
    let (tag, body) = m.iter().next()?;
    let text = || body.as_str().map(str::to_owned);
    Some(match tag.as_str() {
        "$undefined" => AmfValue::Undefined,
        "$unsupported" => AmfValue::Unsupported,
        "$number" => AmfValue::Number(non_finite(body)?),
        "$ref" => AmfValue::Reference(u16::try_from(body.as_u64()?).ok()?),
        "$integer" => AmfValue::Integer(i32::try_from(body.as_i64()?).ok()?),
        "$ecma" => AmfValue::EcmaArray(properties_from_json(body)?),
        "$object" => AmfValue::Object(AmfObject {
            class_name: match m.get("$class") {
                Some(c) => Some(c.as_str()?.to_owned()),
                None => None,
            },
            properties: properties_from_json(body)?,
            sealed_count: m
                .get("$sealed")
                .map_or(Some(0), Json::as_u64)?
                .try_into()
                .ok()?,
            dynamic: flag(m, "$dynamic", true)?,
        }),
        "$date" => AmfValue::Date {
            millis: number_from_json(body)?,
            timezone_minutes: m
                .get("$tz")
                .map_or(Some(0), Json::as_i64)?
                .try_into()
                .ok()?,
        },
        "$xml_document" => AmfValue::XmlDocument(text()?),
        "$xml" => AmfValue::Xml(text()?),
        "$array" => AmfValue::Array {
            dense: list(Some(body), |v| Some(AmfValue::from_json(v)))?,
            associative: m
                .get("$assoc")
                .map_or(Some(Vec::new()), properties_from_json)?,
        },
        "$bytes" => AmfValue::ByteArray(unhex(body.as_str()?)?),
        "$vector_int" => AmfValue::VectorInt {
            fixed: flag(m, "$fixed", false)?,
            items: list(Some(body), |v| i32::try_from(v.as_i64()?).ok())?,
        },
        "$vector_uint" => AmfValue::VectorUint {
            fixed: flag(m, "$fixed", false)?,
            items: list(Some(body), |v| u32::try_from(v.as_u64()?).ok())?,
        },
        "$vector_double" => AmfValue::VectorDouble {
            fixed: flag(m, "$fixed", false)?,
            items: list(Some(body), number_from_json)?,
        },
        "$vector_object" => AmfValue::VectorObject {
            fixed: flag(m, "$fixed", false)?,
            type_name: m.get("$type").map_or(Some("*"), Json::as_str)?.to_owned(),
            items: list(Some(body), |v| Some(AmfValue::from_json(v)))?,
        },
        "$dictionary" => AmfValue::Dictionary {
            weak_keys: flag(m, "$weak_keys", false)?,
            entries: list(Some(body), |pair| match pair.as_array()?.as_slice() {
                [k, v] => Some((AmfValue::from_json(k), AmfValue::from_json(v))),
                _ => None,
            })?,
        },
        _ => return None,
    })
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| char::from(c).to_digit(16).map(|d| d as u8);
    s.as_bytes()
        .chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> AmfValue {
        AmfValue::String(v.into())
    }

    fn every_variant() -> AmfValue {
        let typed = AmfObject {
            class_name: Some("com.example.Point".into()),
            properties: vec![
                ("x".into(), AmfValue::Integer(1)),
                ("y".into(), AmfValue::Integer(2)),
            ],
            sealed_count: 2,
            dynamic: false,
        };
        AmfValue::StrictArray(vec![
            AmfValue::Number(1.0),
            AmfValue::Number(-0.5),
            AmfValue::Number(f64::INFINITY),
            AmfValue::Number(f64::NEG_INFINITY),
            AmfValue::Boolean(true),
            s("$not a tag"),
            AmfValue::Null,
            AmfValue::Undefined,
            AmfValue::Unsupported,
            AmfValue::Reference(7),
            AmfValue::Integer(-268_435_456),
            AmfValue::EcmaArray(vec![("duration".into(), AmfValue::Number(12.5))]),
            AmfValue::EcmaArray(vec![("$undefined".into(), AmfValue::Null)]),
            AmfValue::EcmaArray(vec![("a".into(), AmfValue::Null), ("a".into(), s("dup"))]),
            AmfValue::EcmaArray(vec![]),
            AmfValue::Object(AmfObject::new(vec![("app".into(), s("live"))])),
            AmfValue::Object(typed),
            AmfValue::Object(AmfObject::typed(
                "Foo",
                vec![("$class".into(), AmfValue::Null)],
            )),
            AmfValue::Date {
                millis: 1.7e12,
                timezone_minutes: -60,
            },
            AmfValue::XmlDocument("<a/>".into()),
            AmfValue::Xml("<b/>".into()),
            AmfValue::Array {
                dense: vec![AmfValue::Null],
                associative: vec![("k".into(), s("v"))],
            },
            AmfValue::ByteArray(vec![0, 1, 0xfe, 0xff]),
            AmfValue::VectorInt {
                fixed: true,
                items: vec![i32::MIN, 0, i32::MAX],
            },
            AmfValue::VectorUint {
                fixed: false,
                items: vec![0, u32::MAX],
            },
            AmfValue::VectorDouble {
                fixed: false,
                items: vec![0.25, f64::INFINITY],
            },
            AmfValue::VectorObject {
                fixed: true,
                type_name: "Foo".into(),
                items: vec![s("x")],
            },
            AmfValue::Dictionary {
                weak_keys: true,
                entries: vec![(AmfValue::Integer(1), s("one")), (s("k"), AmfValue::Null)],
            },
        ])
    }

    #[test]
    fn round_trip_is_identity() {
        let v = every_variant();
        let json = v.to_json();
        assert_eq!(AmfValue::from_json(&json), v);
        // And through text, as the CLI writes it.
        let text = serde_json::to_string(&json).unwrap();
        let reparsed: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(AmfValue::from_json(&reparsed), v);
    }

    #[test]
    fn nan_round_trips_as_nan() {
        let json = AmfValue::Number(f64::NAN).to_json();
        assert_eq!(json, json!({"$number": "NaN"}));
        assert!(AmfValue::from_json(&json).as_f64().is_some_and(f64::is_nan));
    }

    #[test]
    fn readable_mapping() {
        let meta = AmfValue::EcmaArray(vec![
            ("duration".into(), AmfValue::Number(10.0)),
            ("encoder".into(), s("Lavf59.27.100")),
        ]);
        assert_eq!(
            serde_json::to_string(&meta.to_json()).unwrap(),
            r#"{"duration":10.0,"encoder":"Lavf59.27.100"}"#
        );
        assert_eq!(
            AmfValue::Date {
                millis: 0.0,
                timezone_minutes: 0
            }
            .to_json(),
            json!({"$date": 0.0, "$tz": 0})
        );
        assert_eq!(
            AmfValue::ByteArray(vec![0xab, 1]).to_json(),
            json!({"$bytes": "ab01"})
        );
        assert_eq!(
            AmfValue::EcmaArray(vec![("$x".into(), AmfValue::Null)]).to_json(),
            json!({"$ecma": {"$x": null}})
        );
    }

    #[test]
    fn plain_json_becomes_amf0() {
        let json: Json =
            serde_json::from_str(r#"{"width": 1280, "tags": ["a"], "$nope": 1}"#).unwrap();
        assert_eq!(
            AmfValue::from_json(&json),
            AmfValue::EcmaArray(vec![
                ("width".into(), AmfValue::Number(1280.0)),
                ("tags".into(), AmfValue::StrictArray(vec![s("a")])),
                ("$nope".into(), AmfValue::Number(1.0)),
            ])
        );
        // A malformed tag is read as a plain object rather than dropped.
        let bad = json!({"$bytes": "xyz"});
        assert_eq!(
            AmfValue::from_json(&bad),
            AmfValue::EcmaArray(vec![("$bytes".into(), s("xyz"))])
        );
    }
}
