//! pandapower's networks read unchanged and solved by our load flow, checked against
//! pandapower's own Newton–Raphson results (fixtures written by scripts/pandapower-fixtures.py).

use std::collections::BTreeMap;

use minsheng_grid::{loadflow, pandapower};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/pandapower/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A results CSV as label → column → value.
fn results(name: &str) -> BTreeMap<i64, BTreeMap<String, f64>> {
    let text = fixture(name);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            let label: i64 = cells[0].parse().expect("label");
            let values = header[1..]
                .iter()
                .zip(&cells[1..])
                .filter_map(|(h, c)| c.parse().ok().map(|v| (h.to_string(), v)))
                .collect();
            (label, values)
        })
        .collect()
}

/// (largest bus voltage error in pu, largest line loading error in percentage points).
fn compare(network: &str, results_of: &str) -> (f64, f64) {
    let net = pandapower::read(&fixture(network)).expect("reads");
    let meshed = network.contains("meshed");
    let problems = if meshed {
        net.check_for_flow()
    } else {
        net.check()
    };
    assert!(problems.is_empty(), "{network}: {problems:?}");
    let flow = loadflow::run(&net).expect("converges");
    let buses = results(&format!("{results_of}_res_bus.csv"));
    let mut vm_error: f64 = 0.0;
    for (label, r) in &buses {
        let ours = flow
            .vm_pu
            .get(&format!("b{label}"))
            .copied()
            .unwrap_or(f64::NAN);
        let theirs = r["vm_pu"];
        if theirs.is_nan() {
            continue;
        }
        vm_error = vm_error.max((ours - theirs).abs());
    }
    let lines = results(&format!("{results_of}_res_line.csv"));
    let mut loading_error: f64 = 0.0;
    for (label, r) in &lines {
        if let Some(ours) = flow.line_loading.get(&format!("l{label}")) {
            loading_error = loading_error.max((ours - r["loading_percent"]).abs());
        }
    }
    (vm_error, loading_error)
}

#[test]
fn bus_voltages_agree_with_pandapower_within_a_thousandth_of_a_per_unit() {
    for (network, results_of) in [
        ("tiny.json", "tiny"),
        ("cigre_mv.json", "cigre_mv"),
        ("cigre_mv_der.json", "cigre_mv_der"),
        ("mv_oberrhein.json", "mv_oberrhein"),
        ("mv_oberrhein_pp2.json", "mv_oberrhein"),
    ] {
        let (vm, loading) = compare(network, results_of);
        eprintln!("{network}: largest |Δvm| {vm:.2e} pu, largest |Δloading| {loading:.3} %");
        assert!(vm <= 1e-3, "{network}: {vm}");
        assert!(loading <= 1.0, "{network}: {loading}");
    }
}

#[test]
fn meshed_operation_is_solved_by_newton_raphson_within_a_ten_thousandth_of_a_per_unit() {
    // CIGRE MV with its three tie switches closed (three loops, one through both transformers)
    // and the tiny network with its tie closed, against pandapower's Newton–Raphson.
    for name in ["cigre_mv_meshed", "tiny_meshed"] {
        let net = pandapower::read(&fixture(&format!("{name}.json"))).expect("reads");
        assert!(
            net.check().iter().any(|e| e.message.contains("loop")),
            "{name} is meshed, not radial"
        );
        let (vm, loading) = compare(&format!("{name}.json"), name);
        eprintln!("{name}: largest |Δvm| {vm:.2e} pu, largest |Δloading| {loading:.4} %");
        assert!(vm <= 1e-4, "{name}: {vm}");
        assert!(loading <= 0.1, "{name}: {loading}");
    }
    // On a radial network both methods agree (the sweep is exact too).
    use minsheng_grid::indexed::Indexed;
    use minsheng_grid::loadflow::Solver;
    let net = pandapower::read(&fixture("cigre_mv.json")).expect("reads");
    let ix = Indexed::new(&net);
    let solver = Solver::new(&ix);
    let state = ix.normal_state();
    let sweep = solver.sweep(&state, &solver.all_sources()).expect("sweep");
    let newton = solver
        .newton(&state, &solver.all_sources())
        .expect("newton");
    for (bus, vm) in sweep.buses.iter().zip(&sweep.vm_pu) {
        let i = newton
            .buses
            .iter()
            .position(|b| b == bus)
            .expect("same buses");
        assert!((vm - newton.vm_pu[i]).abs() < 1e-8, "bus {bus}");
    }
    assert!(newton.iterations <= 6, "{}", newton.iterations);
}

#[test]
fn bad_files_are_refused_with_a_reason() {
    assert!(pandapower::read("{").is_err());
    assert!(pandapower::read("{\"_class\": \"x\"}").is_err());
    let broken = fixture("tiny.json").replace("\\\"vn_kv\\\"", "\\\"vn_kv_gone\\\"");
    let e = pandapower::read(&broken).expect_err("no vn_kv");
    assert!(e.contains("vn_kv"), "{e}");
}

#[test]
fn every_line_fault_of_mv_oberrhein_is_located_isolated_and_restored_within_limits() {
    use minsheng_grid::flisr::{self, Fault, Options, indications, locate};
    use minsheng_grid::indexed::Indexed;
    use minsheng_grid::loadflow::Solver;
    use std::collections::BTreeSet;
    let net = pandapower::read(&fixture("mv_oberrhein.json")).expect("reads");
    let ix = Indexed::new(&net);
    let solver = Solver::new(&ix);
    let normal = ix.normal_state();
    let fed = ix.feeding(&normal, &vec![false; ix.zone_count()]);
    let (mut isolated, mut restored_kw, mut healthy_dark_kw) = (0, 0.0, 0.0);
    for (i, line) in net.lines.iter().enumerate() {
        if !line.in_service || net.line_opened(&line.id) {
            continue;
        }
        let zone = ix.branch_zone[i];
        let seen = indications(&ix, &fed, zone);
        if seen.is_empty() {
            // In a source's own zone: no switch between it and the source.
            continue;
        }
        assert_eq!(
            locate(&ix, &fed, &seen, &BTreeSet::new()),
            vec![zone],
            "{}",
            line.id
        );
        let fault = Fault {
            zones: BTreeSet::from([zone]),
            ..Fault::default()
        };
        let plan = flisr::plan(
            &solver,
            &normal,
            &BTreeSet::new(),
            &fault,
            Options::default(),
        );
        assert!(!plan.operations.is_empty(), "{}", line.id);
        assert_eq!(plan.violations, 0, "{}", line.id);
        let total = plan.restored.kw + plan.generator.kw + plan.unrestored().kw;
        assert!((total - plan.lost.kw).abs() < 1e-6, "{}: {plan:?}", line.id);
        restored_kw += plan.restored.kw;
        healthy_dark_kw += plan.lost.kw - plan.isolated_load.kw;
        isolated += 1;
    }
    assert!(isolated > 150, "{isolated}");
    eprintln!(
        "mv_oberrhein: {isolated} faults, {:.1} % of the healthy lost load restored",
        100.0 * restored_kw / healthy_dark_kw
    );
    assert!(restored_kw > 0.9 * healthy_dark_kw);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Any text, and any cut or edit of a real file, is read or refused, never a panic; what
    /// is read can be checked and, when valid, indexed and solved without panicking either.
    #[test]
    fn any_cut_or_edit_of_a_pandapower_file_is_read_without_panicking(
        cut in 0usize..40_000,
        insert in "\\PC{0,12}",
        text in "\\PC{0,200}",
    ) {
        let _ = pandapower::read(&text);
        let tiny = fixture("tiny.json");
        let at = tiny.char_indices().map(|(i, _)| i).nth(cut).unwrap_or(tiny.len());
        let edited = format!("{}{insert}{}", &tiny[..at], &tiny[at..]);
        if let Ok(net) = pandapower::read(&edited)
            && net.check().is_empty()
        {
            let _ = loadflow::run(&net);
        }
    }
}
