#!/usr/bin/env python3
"""Reproduce the pandapower fixtures for the minsheng grid engine.

Usage:  python export.py [outdir [name ...]]   (outdir default: directory of this script;
                                               names default: all networks below)
  e.g.  python scripts/pandapower-fixtures.py crates/grid/tests/fixtures/pandapower cigre_mv_meshed tiny_meshed
Tested with pandapower 3.5.6, pandas 2.3.3, numpy 2.4.6, scipy 1.17.1, Python 3.11, no numba.

Writes, per network <n> in {mv_oberrhein, cigre_mv, cigre_mv_der, tiny, cigre_mv_meshed, tiny_meshed}:
  <n>.json                      pandapower.to_json(net) of the *input* network (before runpp)
  <n>_res_bus.csv               NR:   index,vm_pu,va_degree,p_mw,q_mvar
  <n>_res_line.csv              NR:   index,loading_percent,i_ka,i_from_ka,i_to_ka,p_from_mw,q_from_mvar,p_to_mw,q_to_mvar,pl_mw,ql_mvar
  <n>_res_trafo.csv             NR:   index,loading_percent,i_hv_ka,i_lv_ka,p_hv_mw,q_hv_mvar,p_lv_mw,q_lv_mvar,pl_mw,ql_mvar
  <n>_bfsw_res_{bus,line,trafo}.csv  same with algorithm="bfsw" (if it converges; radial networks only)

Meshed (closed-ring) variants, NR only (no bfsw files):
  cigre_mv_meshed   create_cigre_network_mv(with_der=False) with every open switch (ties S1, S2, S3) closed
  tiny_meshed       tiny() with the tie switch "Tie L1-3" closed
  Their JSON is the network with the switches already closed.

A pandapower-2.x reference file (old bus_geodata/line_geodata layout) was made separately with
  python3 -m venv venv2 && venv2/bin/pip install pandapower==2.14.11 pandas==2.1.4
  venv2/bin/python -c "import pandapower as pp, pandapower.networks as pn; pp.to_json(pn.mv_oberrhein(), 'mv_oberrhein_pp2.json')"
verify_model.py (numpy only) re-implements the model from the JSON and checks it against the CSVs.
"""
import os
import sys
import warnings

warnings.filterwarnings("ignore")
import pandapower as pp
import pandapower.networks as pn

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
ONLY = sys.argv[2:]
os.makedirs(OUT, exist_ok=True)


def tiny():
    net = pp.create_empty_network(name="tiny", f_hz=50.0, sn_mva=1.0)
    b0 = pp.create_bus(net, vn_kv=110.0, name="HV", geodata=(0.0, 0.0))
    b1 = pp.create_bus(net, vn_kv=20.0, name="MV busbar", geodata=(0.0, -1.0))
    b2 = pp.create_bus(net, vn_kv=20.0, name="MV 2", geodata=(-1.0, -2.0))
    b3 = pp.create_bus(net, vn_kv=20.0, name="MV 3", geodata=(1.0, -2.0))
    pp.create_ext_grid(net, b0, vm_pu=1.02, va_degree=0.0, name="Grid")
    pp.create_transformer(net, b0, b1, std_type="25 MVA 110/20 kV", name="T1")
    # explicit parameters (not std types) so the JSON carries every number
    l1 = pp.create_line_from_parameters(net, b1, b2, length_km=2.0, r_ohm_per_km=0.161, x_ohm_per_km=0.117,
                                        c_nf_per_km=273.0, max_i_ka=0.362, name="L1-2")
    l2 = pp.create_line_from_parameters(net, b2, b3, length_km=1.5, r_ohm_per_km=0.161, x_ohm_per_km=0.117,
                                        c_nf_per_km=273.0, max_i_ka=0.362, name="L2-3", parallel=2, df=0.9)
    l3 = pp.create_line_from_parameters(net, b1, b3, length_km=3.0, r_ohm_per_km=0.122, x_ohm_per_km=0.112,
                                        c_nf_per_km=304.0, max_i_ka=0.421, name="L1-3 (tie)")
    pp.create_load(net, b2, p_mw=2.0, q_mvar=0.6, name="Load 2")
    pp.create_load(net, b3, p_mw=1.5, q_mvar=0.4, name="Load 3")
    # open line switch at b3 end of L1-3 -> tie; the two others closed (for structure)
    pp.create_switch(net, b1, l1, et="l", closed=True, type="CB", name="CB L1-2")
    pp.create_switch(net, b3, l3, et="l", closed=False, type="LBS", name="Tie L1-3")
    return net


def close_all_switches(net):
    """Close every open switch (tie switches) -> the feeders form loops."""
    net.switch["closed"] = True
    return net


NETS = {
    "mv_oberrhein": lambda: pn.mv_oberrhein(),
    "cigre_mv": lambda: pn.create_cigre_network_mv(with_der=False),
    "cigre_mv_der": lambda: pn.create_cigre_network_mv(with_der="pv_wind"),
    "tiny": tiny,
    "cigre_mv_meshed": lambda: close_all_switches(pn.create_cigre_network_mv(with_der=False)),
    "tiny_meshed": lambda: close_all_switches(tiny()),
}
MESHED = {"cigre_mv_meshed", "tiny_meshed"}  # NR only: no bfsw reference
unknown = [n for n in ONLY if n not in NETS]
if unknown:
    sys.exit(f"unknown network(s): {unknown}; known: {list(NETS)}")

BUS = ["vm_pu", "va_degree", "p_mw", "q_mvar"]
LINE = ["loading_percent", "i_ka", "i_from_ka", "i_to_ka", "p_from_mw", "q_from_mvar", "p_to_mw",
        "q_to_mvar", "pl_mw", "ql_mvar"]
TRAFO = ["loading_percent", "i_hv_ka", "i_lv_ka", "p_hv_mw", "q_hv_mvar", "p_lv_mw", "q_lv_mvar",
         "pl_mw", "ql_mvar"]


def dump(net, name, tag):
    net.res_bus[BUS].to_csv(os.path.join(OUT, f"{name}{tag}_res_bus.csv"), float_format="%.12g")
    net.res_line[LINE].to_csv(os.path.join(OUT, f"{name}{tag}_res_line.csv"), float_format="%.12g")
    if len(net.trafo):
        net.res_trafo[TRAFO].to_csv(os.path.join(OUT, f"{name}{tag}_res_trafo.csv"), float_format="%.12g")


for name, make in NETS.items():
    if ONLY and name not in ONLY:
        continue
    net = make()
    pp.to_json(net, os.path.join(OUT, f"{name}.json"))
    pp.runpp(net, numba=False)  # defaults: algorithm="nr", init="auto", calculate_voltage_angles=True, trafo_model="t"
    dump(net, name, "")
    print(f"{name}: NR converged={net.converged}")
    if name in MESHED:
        continue
    try:
        # pandapower's bfsw assumes the slack (ext_grid) buses are the first rows of net.bus
        # (run_bfswpf.py: "assuming root bus is always 0"); otherwise it crashes with
        # "ValueError: negative axis 1 index" (mv_oberrhein: ext_grids at buses 58, 318).
        # Reordering rows (not the index) changes nothing physically.
        eg = list(net.ext_grid.bus)
        net.bus = net.bus.loc[eg + [b for b in net.bus.index if b not in set(eg)]]
        pp.runpp(net, algorithm="bfsw", numba=False)
        net.res_bus = net.res_bus.sort_index()
        dump(net, name, "_bfsw")
        print(f"{name}: bfsw converged={net.converged}")
    except Exception as e:  # LoadflowNotConverged or meshed-grid errors
        print(f"{name}: bfsw failed: {type(e).__name__}: {e}")
