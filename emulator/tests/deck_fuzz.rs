//! Job decks made at random from COS's control statements, each run to its end in a
//! fresh system with a permanent-dataset store: whatever a deck says, the job ends
//! (normally or aborted) or is refused before it starts, within a bounded number of
//! clock periods and of seconds of host time, and never panics. COS's own self-replicating diagnostic job
//! (`jdiaggo`) once made DUMP panic on the empty field of a job dumped before its
//! first program; this looks for more of the same.

use cray_emulator::cos::deck::catalogue::Catalogue;
use cray_emulator::cos::deck::file::read_deck;
use cray_emulator::cos::deck::DeckHost;
use cray_emulator::system::{Config, Console, Event, HostRoot};
use cray_emulator::System;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Dataset names a statement may name: the job's own, special ones, and nonsense.
const NAMES: [&str; 9] = [
    "A",
    "B",
    "X",
    "$IN",
    "$OUT",
    "$DUMP",
    "$PROC",
    "LONGNAME99",
    "",
];

/// Values a parameter may take.
const VALUES: [&str; 14] = [
    "A",
    "B",
    "0",
    "1",
    "7",
    "ALL",
    "999999999999999999999",
    "-1",
    "RP",
    "SC",
    "PR",
    "ST",
    "*",
    "'TEXT'",
];

/// Verbs with the keywords each takes (SR-0011's, as the emulator serves them), so
/// that most statements get past their parameters to what they do; any keyword may
/// still come, and the verbs at the end are no COS verb or a utility not there.
const VERBS: [(&str, &[&str]); 31] = [
    (
        "ACCESS",
        &["DN", "PDN", "ID", "ED", "OWN", "R", "W", "M", "UQ", "NA"],
    ),
    (
        "SAVE",
        &["DN", "PDN", "ID", "ED", "R", "W", "M", "PAM", "TEXT", "NA"],
    ),
    ("DELETE", &["DN", "PDN", "ID", "ED", "OWN", "M", "NA"]),
    ("ADJUST", &["DN", "PDN", "ID", "ED", "M", "NA"]),
    (
        "MODIFY",
        &["DN", "PDN", "ID", "ED", "NED", "NID", "M", "NA"],
    ),
    ("PERMIT", &["PDN", "ID", "ED", "AM", "US", "M", "NA"]),
    ("ASSIGN", &["DN", "NA"]),
    ("RELEASE", &["DN", "NA"]),
    ("REWIND", &["DN", "NA"]),
    ("DISPOSE", &["DN", "DC", "SDN", "TEXT", "DEFER", "NA"]),
    ("ACQUIRE", &["DN", "PDN", "ID", "OWN", "TEXT", "NA"]),
    ("FETCH", &["DN", "TEXT", "MF", "AC", "NA"]),
    ("SUBMIT", &["DN", "NA"]),
    ("CALL", &["DN", "NA"]),
    ("RETURN", &[]),
    ("ECHO", &["ON", "OFF", "NA"]),
    ("DUMPJOB", &["NA"]),
    ("DUMP", &["FW", "LW", "V", "NA"]),
    ("COPYF", &["I", "O", "NF", "NA"]),
    ("COPYR", &["I", "O", "NR", "NA"]),
    ("COPYD", &["I", "O", "NA"]),
    ("SKIPF", &["DN", "NF", "NA"]),
    ("SKIPR", &["DN", "NR", "NA"]),
    ("SKIPD", &["DN", "NA"]),
    ("MEMORY", &["FL", "AUTO", "NA"]),
    ("ACCOUNT", &["AC", "APW", "US", "UPW", "NUPW"]),
    ("EXIT", &[]),
    ("RERUN", &[]),
    ("DELAY", &["INTERVAL"]),
    ("AUDIT", &["NA"]),
    ("NOSUCH", &["NA"]),
];

/// Statements that do what they say (on the datasets the others name), so that a
/// deck gets far: copies of `$IN` (whose records CALL may run as statements),
/// saves and accesses, dumps, disposals.
const WELL_FORMED: [&str; 14] = [
    "COPYF,I=$IN,O=A.",
    "COPYR,I=$IN,O=B,NR=2.",
    "REWIND,DN=A.",
    "REWIND,DN=$IN.",
    "SAVE,DN=A,PDN=A.",
    "ACCESS,DN=B,PDN=A.",
    "DELETE,PDN=A.",
    "CALL,DN=A.",
    "DUMPJOB.",
    "DUMP,LW=3777,V.",
    "DUMP.",
    "DISPOSE,DN=A,DC=ST,SDN=OUT.",
    "COPYD,I=B.",
    "RELEASE,DN=A.",
];

/// Keywords of any verb, to come now and then where they do not belong.
const ANY_KEYWORDS: [&str; 6] = ["DN", "ZZ", "PDN", "NA", "I", "LW"];

/// Expressions for IF, ELSEIF, SET and EXITLOOP.
fn expression() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        (0u8..8).prop_map(|j| format!("J{j}")),
        prop_oneof![
            Just("0"),
            Just("1"),
            Just("77B"),
            Just("99999999999999999999"),
            Just("'X'")
        ]
        .prop_map(str::to_string),
        Just("SYSID".to_string()),
    ];
    let operator = prop_oneof![
        Just(".EQ."),
        Just(".NE."),
        Just(".GT."),
        Just(".AND."),
        Just(".OR."),
        Just("+"),
        Just("-"),
        Just("*"),
        Just("/"),
        Just(""),
    ];
    (atom.clone(), operator, atom, any::<bool>()).prop_map(|(a, op, b, parens)| {
        let e = format!("{a}{op}{b}");
        if parens {
            format!("({e})")
        } else {
            e
        }
    })
}

/// A parameter of a verb taking `keywords`: mostly one of them, with a value or
/// alone.
fn parameter(keywords: &'static [&'static str]) -> impl Strategy<Value = String> {
    let keyword = prop_oneof![
        4 => (0..keywords.len().max(1)).prop_map(move |k| keywords.get(k).copied().unwrap_or("NA")),
        1 => (0..ANY_KEYWORDS.len()).prop_map(|k| ANY_KEYWORDS[k]),
    ];
    let value = prop_oneof![
        3 => (0..NAMES.len()).prop_map(|n| Some(NAMES[n])),
        3 => (0..VALUES.len()).prop_map(|v| Some(VALUES[v])),
        1 => Just(None),
    ];
    (keyword, value).prop_map(|(k, v)| match v {
        Some(v) => format!("{k}={v}"),
        None => k.to_string(),
    })
}

/// One control statement (or a comment, or a line of nonsense).
fn statement() -> impl Strategy<Value = String> {
    let verb_statement = (0..VERBS.len(), proptest::bool::weighted(0.9))
        .prop_flat_map(|(v, period)| {
            let (verb, keywords) = VERBS[v];
            (
                Just(verb),
                proptest::collection::vec(parameter(keywords), 0..4),
                Just(period),
            )
        })
        .prop_map(|(verb, parameters, period)| {
            let mut s = verb.to_string();
            for p in parameters {
                s.push(',');
                s.push_str(&p);
            }
            if period {
                s.push('.');
            }
            s
        });
    prop_oneof![
        12 => verb_statement,
        6 => (0..WELL_FORMED.len()).prop_map(|n| WELL_FORMED[n].to_string()),
        2 => Just("EXIT.".to_string()),
        2 => expression().prop_map(|e| format!("SET(J{}={e})", e.len() % 7)),
        1 => Just("* a comment (with parentheses)".to_string()),
        1 => "[ -~]{0,90}",
        1 => Just("ECHO,ON=ALL.^".to_string()),
    ]
}

/// Statements with blocks in them, nested: IF (with ELSEIF and ELSE), LOOP (with
/// EXITLOOP) and PROC definitions, mostly well formed (a deck whose blocks do not
/// match is refused before it starts, which tells little), now and then not.
fn statements() -> impl Strategy<Value = Vec<String>> {
    let leaf = proptest::collection::vec(statement(), 0..6);
    leaf.prop_recursive(3, 48, 4, |inner| {
        let block = prop_oneof![
            (
                expression(),
                inner.clone(),
                proptest::option::of(inner.clone())
            )
                .prop_map(|(e, then, otherwise)| {
                    let mut lines = vec![format!("IF({e})")];
                    lines.extend(then);
                    if let Some(otherwise) = otherwise {
                        lines.push(format!("ELSEIF({e}.EQ.0)"));
                        lines.extend(otherwise);
                        lines.push("ELSE.".to_string());
                    }
                    lines.push("ENDIF.".to_string());
                    lines
                }),
            // Three rounds at most: J7 counts them (the random SETs use J0 to J6).
            (expression(), inner.clone()).prop_map(|(e, body)| {
                let mut lines = vec![
                    "SET(J7=0)".to_string(),
                    "LOOP.".to_string(),
                    "SET(J7=J7+1)".to_string(),
                    "EXITLOOP(J7.GT.3)".to_string(),
                    format!("EXITLOOP({e})"),
                ];
                lines.extend(body);
                lines.push("ENDLOOP.".to_string());
                lines
            }),
            inner.clone().prop_map(|body| {
                let mut lines = vec!["PROC.".to_string(), "DEF.".to_string()];
                lines.extend(body);
                lines.push("ENDPROC.".to_string());
                lines.push("DEF.".to_string());
                lines
            }),
            prop_oneof![
                Just("ENDIF."),
                Just("ELSE."),
                Just("ENDLOOP."),
                Just("EXITLOOP."),
                Just("RETURN."),
                Just("IF(J1.EQ.J1)"),
                Just("ENDPROC.")
            ]
            .prop_map(|s| vec![s.to_string()]),
        ];
        proptest::collection::vec(prop_oneof![inner, block], 1..4).prop_map(|parts| parts.concat())
    })
}

/// A deck: a JOB statement, statements, and records of `$IN` after `/EOF` (which
/// CALL may run as statements).
fn deck() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("JOB,JN=FUZZ,T=1."),
            Just("JOB,JN=FUZZ."),
            Just("JOB,JN=F,MFL=1000.")
        ],
        statements(),
        proptest::collection::vec(statement(), 0..6),
    )
        .prop_map(|(job, statements, data)| {
            let mut text = format!("{job}\n");
            for s in statements {
                text.push_str(&s);
                text.push('\n');
            }
            if !data.is_empty() {
                text.push_str("/EOF\n");
                for s in data {
                    text.push_str(&s);
                    text.push('\n');
                }
            }
            text
        })
}

/// Clock periods after which a deck job counts as run away (ten seconds of X-MP
/// time: every loop of statements ends well before, at its time limit or as a
/// runaway, and a deck runs no program that could run longer).
const MOST_PERIODS: u64 = 1_050_000_000;

/// Host time a deck may take: the slowest, a loop that runs away twice (262 144
/// statements), takes well under a second.
const HOST_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Runs `text` as a deck job to its end; the deck's refusal is an end too.
fn run_deck(text: &str) -> Result<(), String> {
    let root = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = root.path().join("store");
    let mut system = System::new(
        Config::default(),
        HostRoot::new(root.path()),
        Console::captured(),
    );
    let Ok(deck) = read_deck(text.as_bytes()) else {
        return Ok(());
    };
    let catalogue = Catalogue::open(&store).map_err(|e| e.to_string())?;
    system.attach_deck_host(DeckHost {
        system_dir: None,
        catalogue: Some(catalogue),
        queue: None,
        job_number: None,
    });
    if system
        .load_cos_deck("fuzz", &deck, BTreeMap::new())
        .is_err()
    {
        return Ok(());
    }
    loop {
        let mut budget = MOST_PERIODS.saturating_sub(system.clock).max(1);
        if let Some((jid, limit)) = system.cos_time_limit() {
            if system.clock >= limit {
                system.cos_time_limit_reached(jid);
            } else {
                budget = budget.min(limit - system.clock);
            }
        }
        match system.run(budget) {
            Event::Exited { .. } => return Ok(()),
            Event::BudgetExhausted if system.clock >= MOST_PERIODS => {
                return Err(format!(
                    "still running after {} clock periods",
                    system.clock
                ));
            }
            Event::BudgetExhausted => {}
            Event::InputWanted { .. } => system.end_input(),
            other => return Err(format!("unexpected event {other:?}")),
        }
    }
}

proptest! {
    // Shrinking a deck that timed out leaves its thread running: a bounded time
    // for it keeps such a failure from taking the machine.
    #![proptest_config(ProptestConfig {
        cases: 200,
        max_shrink_time: 120_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_random_deck_ends_without_panicking(text in deck()) {
        // On a thread of its own, so that a deck the interpreter loops on for ever
        // without a clock period passing (the runaway loop with its EXIT inside,
        // once) fails the test instead of hanging it.
        let (sender, receiver) = std::sync::mpsc::channel();
        let deck = text.clone();
        std::thread::spawn(move || {
            let _ = sender.send(run_deck(&deck));
        });
        match receiver.recv_timeout(HOST_TIME_LIMIT) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => prop_assert!(false, "{e}\n{text}"),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                prop_assert!(false, "still running after {HOST_TIME_LIMIT:?}:\n{text}")
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                prop_assert!(false, "panicked on the deck:\n{text}")
            }
        }
    }
}
