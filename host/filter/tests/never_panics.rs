//! Property tests: parsing arbitrary text never panics, evaluating any parsed selector over
//! arbitrary properties never panics, and `NOT (e)` inverts every known result of `e`.

use std::collections::HashMap;

use proptest::prelude::*;
use wasmq_filter::sql92::Expression;

/// Token soup that reaches deep into the grammar far more often than random characters do.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "a",
            "b",
            "TAGS",
            "idx",
            "AND",
            "or",
            "NOT",
            "BETWEEN",
            "IN",
            "IS",
            "NULL",
            "TRUE",
            "false",
            "=",
            "<>",
            "<",
            "<=",
            ">",
            ">=",
            "(",
            ")",
            ",",
            "+",
            "-",
            "'x'",
            "'it''s'",
            "0",
            "5",
            "10L",
            "3000000000",
            "2.5",
            ".5e3",
            "1e309",
            "0.0",
            "--c\n",
            "/*c*/",
            "!",
            "'",
            "$",
        ])
        .prop_map(str::to_owned),
        "[a-z0-9'().,<>=+\\- ]{1,4}",
    ]
}

fn selector() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 0..24).prop_map(|v| v.join(" "))
}

/// Grammatical selectors (most of which Java would accept) built from random leaves.
fn well_formed() -> impl Strategy<Value = String> {
    let prop = || prop::sample::select(vec!["a", "b", "TAGS", "idx"]);
    let num = prop::sample::select(vec![
        "0",
        "5",
        "-5",
        "10L",
        "3000000000",
        "2.5",
        "1e3",
        "-a",
    ]);
    let operand = prop_oneof![
        prop().prop_map(str::to_owned),
        num.clone().prop_map(str::to_owned),
        Just("'x'".to_owned()),
        Just("TRUE".to_owned()),
    ];
    let cmp = prop::sample::select(vec!["=", "<>", "<", "<=", ">", ">="]);
    let leaf = prop_oneof![
        (operand.clone(), cmp, operand).prop_map(|(l, op, r)| format!("{l} {op} {r}")),
        prop().prop_map(|p| format!("{p} IS NULL")),
        prop().prop_map(|p| format!("{p} IS NOT NULL")),
        (prop(), any::<bool>())
            .prop_map(|(p, n)| format!("{p} {}IN ('x', '1')", if n { "NOT " } else { "" })),
        (prop(), any::<bool>(), num.clone(), num).prop_map(|(p, n, lo, hi)| format!(
            "{p} {}BETWEEN {lo} AND {hi}",
            if n { "NOT " } else { "" }
        )),
        prop().prop_map(str::to_owned),
        prop::sample::select(vec!["TRUE", "FALSE", "NULL"]).prop_map(str::to_owned),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) AND ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} OR {b}")),
            inner.prop_map(|a| format!("NOT ({a})")),
        ]
    })
}

fn properties() -> impl Strategy<Value = HashMap<String, String>> {
    let key = prop::sample::select(vec!["a", "b", "TAGS", "idx", "x"]).prop_map(str::to_owned);
    let value = prop_oneof![
        prop::sample::select(vec![
            "1",
            "5",
            "-5",
            "10",
            "2.5",
            "NaN",
            "Infinity",
            "true",
            "x",
            "it's",
            "",
            " 7 ",
            "3000000000",
            "9223372036854775808",
            "1e400",
            "2.5f",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
        any::<i64>().prop_map(|i| i.to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
    ];
    prop::collection::hash_map(key, value, 0..5)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn parsing_arbitrary_text_never_panics(text in any::<String>()) {
        let _ = Expression::parse(&text);
    }

    #[test]
    fn evaluation_never_panics_and_not_inverts(
        text in prop_oneof![selector(), well_formed()],
        props in properties(),
    ) {
        let Ok(expr) = Expression::parse(&text) else { return Ok(()) };
        let lookup = |k: &str| props.get(k).map(String::as_str);
        let detailed = expr.evaluate_detailed(&lookup);
        prop_assert_eq!(expr.evaluate(&lookup), matches!(detailed, Ok(Some(true))));
        // Only when the whole text was consumed is "NOT (text)" the negation of `expr`.
        if let Ok(negated) = Expression::parse(&format!("NOT ({text})"))
            && negated == Expression::Not(Box::new(expr.clone()))
        {
            let n = negated.evaluate_detailed(&lookup);
            prop_assert_eq!(n, detailed.map(|r| r.map(|b| !b)));
        }
    }
}

/// Guards the property test above against vacuity: enough generated selectors must parse (and
/// be negatable) for the evaluation checks to mean something.
#[test]
fn generator_reaches_the_evaluator() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = prop_oneof![selector(), well_formed()];
    let (mut parsed, mut negatable) = (0, 0);
    for _ in 0..2000 {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let text = tree.current();
        if let Ok(e) = Expression::parse(&text) {
            parsed += 1;
            let n = Expression::parse(&format!("NOT ({text})"));
            negatable += usize::from(n.is_ok_and(|n| n == Expression::Not(Box::new(e))));
        }
    }
    eprintln!("{parsed} of 2000 parsed, {negatable} negatable");
    assert!(
        parsed >= 400 && negatable >= 300,
        "{parsed} parsed, {negatable} negatable"
    );
}
