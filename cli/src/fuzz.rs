//! Fuzz harness body for the control socket, shared by the `fuzz/` crate's cargo-fuzz
//! target and the workspace test that replays its saved corpus
//! (`cli/tests/fuzz_corpus.rs`).

use crate::control_request::{parse_request, request_line, MAX_REQUEST};

/// Frames `data` as the server does (at most [`MAX_REQUEST`] bytes, up to the first
/// newline) and parses the line; a request that parses must survive being written
/// and read again unchanged.
pub fn control_request(data: &[u8]) {
    let received = &data[..data.len().min(MAX_REQUEST)];
    let line = request_line(received).unwrap_or(received);
    let Ok(request) = parse_request(line) else {
        return;
    };
    let text = serde_json::to_string(&request).expect("a request serializes");
    assert!(
        request_line(text.as_bytes()).is_none(),
        "a written request holds a newline: {text}"
    );
    let again = parse_request(text.as_bytes()).expect("a written request parses");
    assert_eq!(request, again, "{text}");
}
