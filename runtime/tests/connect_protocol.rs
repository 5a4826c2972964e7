//! Weir's group protocol formats against Kafka Connect's own classes on the same cases
//! (`runtime/oracle/`, fixture `tests/fixtures/connect_protocol.json`): Weir writes the bytes
//! Kafka Connect writes, and reads Kafka Connect's bytes, hand-made ones included, to the same
//! values or, where Kafka Connect fails, to an error.

mod fixtures;

use std::str::FromStr;

use fixtures::{connectors_and_tasks, int, text};
use serde_json::Value as Json;
use weir_runtime::group::{Assignment, AssignmentError, ConnectProtocol, WorkerMetadata};

/// Cases that Kafka Connect reads and Weir refuses, with why. They must still be refused.
const REFUSED: &[(&str, &str)] = &[
    (
        "decode_assignment_negative_task_number",
        "a task number below -1 names no task (Kafka Connect makes a ConnectorTaskId of it; Weir's task numbers \
         are unsigned)",
    ),
    (
        "decode_assignment_invalid_utf8",
        "a string that is not UTF-8 (Kafka Connect replaces the bytes with U+FFFD, so that the name differs from \
         what was written)",
    ),
];

fn from_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or_else(|e| panic!("{hex}: {e}")))
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An assignment as the oracle writes one.
fn assignment(json: &Json) -> Assignment {
    Assignment {
        version: int(&json["version"]) as i16,
        error: AssignmentError::from_code(int(&json["error"]) as i16),
        leader: text(&json["leader"]),
        leader_url: text(&json["leaderUrl"]),
        config_offset: int(&json["configOffset"]),
        assigned: connectors_and_tasks(&json["connectors"], &json["tasks"]),
        revoked: connectors_and_tasks(&json["revokedConnectors"], &json["revokedTasks"]),
        delay_ms: int(&json["delay"]) as i32,
    }
}

/// A member's metadata as the oracle writes one.
fn metadata(json: &Json) -> WorkerMetadata {
    WorkerMetadata {
        url: text(&json["url"]),
        config_offset: int(&json["configOffset"]),
        assignment: (!json["assignment"].is_null()).then(|| assignment(&json["assignment"])),
    }
}

fn same<T: PartialEq + std::fmt::Debug>(what: &str, weir: T, kafka: T) -> Result<(), String> {
    if weir == kafka {
        Ok(())
    } else {
        Err(format!("{what}: Weir {weir:?}, Kafka Connect {kafka:?}"))
    }
}

/// A worker's JoinGroup protocols: the same names, bytes and decoded metadata.
fn join(case: &Json) -> Result<(), String> {
    let mode = ConnectProtocol::from_str(&text(&case["mode"])).map_err(|e| e.to_string())?;
    let worker = metadata(case);
    let offered = mode.join_protocols(&worker).map_err(|e| e.to_string())?;
    let expected = case["protocols"].as_array().cloned().unwrap_or_default();
    let names = |offered: &[(ConnectProtocol, Vec<u8>)]| offered.iter().map(|(p, _)| p.name().to_owned()).collect();
    same(
        "protocols",
        names(&offered),
        expected.iter().map(|p| text(&p["name"])).collect::<Vec<_>>(),
    )?;
    for ((protocol, bytes), kafka) in offered.iter().zip(&expected) {
        same(protocol.name(), to_hex(bytes), text(&kafka["metadata"]))?;
        let decoded = WorkerMetadata::decode(&from_hex(&text(&kafka["metadata"])));
        same(protocol.name(), decoded, Ok(metadata(&kafka["decoded"])))?;
    }
    Ok(())
}

/// A leader's assignment: the same bytes, decoded the same.
fn assign(case: &Json) -> Result<(), String> {
    let bytes = text(&case["bytes"]);
    same(
        "bytes",
        assignment(&case["assignment"]).encode().map(|b| to_hex(&b)),
        Ok(bytes.clone()),
    )?;
    same(
        "decoded",
        Assignment::decode(&from_hex(&bytes)),
        Ok(assignment(&case["decoded"])),
    )
}

/// Hand-made bytes: decoded the same, or refused where Kafka Connect fails.
fn decode<T: PartialEq + std::fmt::Debug, E: std::fmt::Display>(
    case: &Json,
    decode: impl Fn(&[u8]) -> Result<T, E>,
    expected: impl Fn(&Json) -> T,
) -> Result<(), String> {
    let weir = decode(&from_hex(&text(&case["bytes"])));
    match (&case["error"], weir) {
        (Json::Null, Ok(value)) => same("decoded", value, expected(&case["decoded"])),
        (Json::Null, Err(e)) => Err(format!("Weir refuses ({e}), Kafka Connect reads {}", case["decoded"])),
        (_, Ok(value)) => Err(format!("Weir reads {value:?}, Kafka Connect fails: {}", case["error"])),
        (_, Err(_)) => Ok(()),
    }
}

/// Whether Weir refuses a decoding case's bytes.
fn weir_refuses(case: &Json) -> bool {
    let bytes = from_hex(&text(&case["bytes"]));
    match text(&case["kind"]).as_str() {
        "decodeAssignment" => Assignment::decode(&bytes).is_err(),
        _ => WorkerMetadata::decode(&bytes).is_err(),
    }
}

#[test]
fn every_case_matches_kafka_connect() {
    let mut failures = Vec::new();
    let cases = fixtures::cases("connect_protocol");
    for case in &cases {
        let name = text(&case["name"]);
        let result = match text(&case["kind"]).as_str() {
            "join" => join(case),
            "assignment" => assign(case),
            "decodeAssignment" => decode(case, Assignment::decode, assignment),
            "decodeMetadata" => decode(case, WorkerMetadata::decode, metadata),
            kind => Err(format!("unknown kind {kind}")),
        };
        match (REFUSED.iter().find(|(refused, _)| *refused == name), result) {
            (None, Ok(())) => {}
            (None, Err(why)) => failures.push(format!("{name}: {why}")),
            (Some(_), Err(_)) if !weir_refuses(case) => failures.push(format!("{name}: listed as refused, yet read")),
            (Some(_), Err(_)) => {}
            (Some((_, why)), Ok(())) => failures.push(format!("{name}: passes, yet is listed as refused ({why})")),
        }
    }
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Every cut and every corrupted byte of every fixture's bytes reads or fails, never panics.
#[test]
fn malformed_input_fails_without_panicking() {
    for case in fixtures::cases("connect_protocol") {
        let mut inputs: Vec<Vec<u8>> = case["protocols"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| from_hex(&text(&p["metadata"])))
            .collect();
        inputs.extend(case["bytes"].as_str().map(from_hex));
        for bytes in inputs {
            for cut in 0..bytes.len() {
                let _ = Assignment::decode(&bytes[..cut]);
                let _ = WorkerMetadata::decode(&bytes[..cut]);
            }
            for at in 0..bytes.len() {
                for byte in [0x00, 0x7f, 0x80, 0xff] {
                    let mut corrupted = bytes.clone();
                    corrupted[at] = byte;
                    let _ = Assignment::decode(&corrupted);
                    let _ = WorkerMetadata::decode(&corrupted);
                }
            }
        }
    }
}
