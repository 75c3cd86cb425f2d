#!/usr/bin/env python3
"""Independent re-implementation (numpy only, reads the JSON files with the json module, NO pandapower)
of the pandapower 3.x steady-state model, to validate the equations documented for the Rust port.
Compares against <net>_res_bus.csv / _res_line.csv / _res_trafo.csv written by export.py.
Covers: bus, line, trafo (2W, T-model, ratio tap changer), load (const-PQ or ZIP), sgen, ext_grid,
line/trafo switches (open -> auxiliary dangling bus), bus-bus switches (closed, z_ohm=0 -> fused).
"""
import csv, json, math, os, sys
import numpy as np

D = os.path.dirname(os.path.abspath(__file__))


def table(o, name):
    t = json.loads(o[name]["_object"])            # DataFrame is a JSON *string* (orient="split")
    return [dict(zip(t["columns"], row), index=i) for i, row in zip(t["index"], t["data"])]


def nz(v, d=0.0):
    return d if v is None else v


def solve(name):
    o = json.load(open(os.path.join(D, name + ".json")))["_object"]
    sn, f = float(o["sn_mva"]), float(o["f_hz"])
    buses = [b for b in table(o, "bus") if b["in_service"]]
    sw = table(o, "switch")
    # fuse closed bus-bus switches (union-find); none in these nets but cheap
    parent = {b["index"]: b["index"] for b in buses}
    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x
    for s in sw:
        if s["et"] == "b" and s["closed"] and nz(s["z_ohm"]) == 0:
            parent[find(s["element"])] = find(s["bus"])
    vn = {b["index"]: b["vn_kv"] for b in buses}
    idx = {}
    for b in buses:
        r = find(b["index"])
        if r not in idx:
            idx[r] = len(idx)
    pos = {b["index"]: idx[find(b["index"])] for b in buses}
    nb = len(idx)
    base_kv = np.zeros(nb)
    for b in buses:
        base_kv[pos[b["index"]]] = b["vn_kv"]
    open_sw = {(s["et"], s["element"], s["bus"]) for s in sw if not s["closed"] and s["et"] in "lt"}

    def endpoint(et, elem, bus):
        nonlocal nb, base_kv
        if (et, elem, bus) in open_sw:  # open switch at this end: dangle on an auxiliary bus
            nb += 1
            base_kv = np.append(base_kv, vn[bus])
            return nb - 1
        return pos[bus]

    br = []  # (f, t, Yff, Yft, Ytf, Ytt, kind, row)
    for l in table(o, "line"):
        if not l["in_service"]:
            continue
        fb, tb = endpoint("l", l["index"], l["from_bus"]), endpoint("l", l["index"], l["to_bus"])
        zb = vn[l["from_bus"]] ** 2 / sn
        L, par = l["length_km"], l["parallel"]
        z = (l["r_ohm_per_km"] + 1j * l["x_ohm_per_km"]) * L / par / zb
        ysh = (nz(l["g_us_per_km"]) * 1e-6 + 1j * 2 * math.pi * f * l["c_nf_per_km"] * 1e-9) * L * par * zb
        ys = 1 / z
        br.append((fb, tb, ys + ysh / 2, -ys, -ys, ys + ysh / 2, "line", l))
    for t in table(o, "trafo"):
        if not t["in_service"]:
            continue
        hb, lb = endpoint("t", t["index"], t["hv_bus"]), endpoint("t", t["index"], t["lv_bus"])
        vhv, vlv = t["vn_hv_kv"], t["vn_lv_kv"]
        shift = nz(t["shift_degree"])
        if t.get("tap_pos") is not None and t.get("tap_step_percent") is not None and t.get("tap_side"):
            du = (t["tap_pos"] - nz(t["tap_neutral"])) * t["tap_step_percent"] / 100
            ang = nz(t.get("tap_step_degree"))  # "Ratio"/"Symmetrical" changer (complex)
            fac = math.hypot(1 + du * math.cos(math.radians(ang)), du * math.sin(math.radians(ang)))
            dsh = math.degrees(math.atan(du * math.sin(math.radians(ang)) / (1 + du * math.cos(math.radians(ang)))))
            if t["tap_side"] == "hv":
                vhv *= fac; shift += dsh
            else:
                vlv *= fac; shift -= dsh
        ratio = (vhv / vlv) / (vn[t["hv_bus"]] / vn[t["lv_bus"]])
        vb_lv = vn[t["lv_bus"]]
        par = t["parallel"]
        tap_lv = (vlv / vb_lv) ** 2 * sn
        zsc = t["vk_percent"] / 100 / t["sn_mva"] * tap_lv
        rsc = t["vkr_percent"] / 100 / t["sn_mva"] * tap_lv
        z = (rsc + 1j * math.sqrt(zsc ** 2 - rsc ** 2)) / par
        pfe = t["pfe_kw"] / 1000
        ym = t["i0_percent"] / 100 * t["sn_mva"]
        bm = -math.sqrt(max(ym ** 2 - pfe ** 2, 0))
        k = (vb_lv ** 2 / sn) * par / t["vn_lv_kv"] ** 2 / (vlv / t["vn_lv_kv"]) ** 2
        ym_pu = (pfe + 1j * bm) * k
        if ym_pu != 0:  # T-model -> equivalent pi (star-delta), hv/lv leakage split 50/50
            za = zb_ = z / 2
            zc = 1 / ym_pu
            S = za * zb_ + za * zc + zb_ * zc
            zser, yf, yt = S / zc, zb_ / S, za / S  # zab=S/zc, yf=1/zac=zb/S, yt=1/zbc=za/S
        else:
            zser, yf, yt = z, 0, 0
        ys = 1 / zser
        a = ratio * np.exp(1j * math.radians(shift))
        br.append((hb, lb, (ys + yf) / (a * np.conj(a)), -ys / np.conj(a), -ys / a, ys + yt, "trafo", t))
    Y = np.zeros((nb, nb), complex)
    for fb, tb, yff, yft, ytf, ytt, *_ in br:
        Y[fb, fb] += yff; Y[fb, tb] += yft; Y[tb, fb] += ytf; Y[tb, tb] += ytt
    Sd = np.zeros(nb, complex); zp = np.zeros(nb, complex); ip = np.zeros(nb, complex)
    for ld in table(o, "load"):
        if ld["in_service"]:
            s = (ld["p_mw"] + 1j * ld["q_mvar"]) * ld["scaling"] / sn
            cz = (nz(ld["const_z_p_percent"]) + 1j * nz(ld["const_z_q_percent"])) / 100
            ci = (nz(ld["const_i_p_percent"]) + 1j * nz(ld["const_i_q_percent"])) / 100
            Sd[pos[ld["bus"]]] += s.real * (1 - cz.real - ci.real) + 1j * s.imag * (1 - cz.imag - ci.imag)
            zp[pos[ld["bus"]]] += s.real * cz.real + 1j * s.imag * cz.imag
            ip[pos[ld["bus"]]] += s.real * ci.real + 1j * s.imag * ci.imag
    for g in table(o, "sgen"):
        if g["in_service"]:
            Sd[pos[g["bus"]]] -= (g["p_mw"] + 1j * g["q_mvar"]) * g["scaling"] / sn
    slack = {}
    for e in table(o, "ext_grid"):
        if e["in_service"]:
            slack[pos[e["bus"]]] = e["vm_pu"] * np.exp(1j * math.radians(e["va_degree"]))
    # keep only the part energised from a slack (aux buses are energised via their line)
    adj = {i: set() for i in range(nb)}
    for fb, tb, *_ in br:
        adj[fb].add(tb); adj[tb].add(fb)
    live, st = set(slack), list(slack)
    while st:
        for n in adj[st.pop()]:
            if n not in live:
                live.add(n); st.append(n)
    ref = sorted(slack); pq = [i for i in range(nb) if i in live and i not in slack]
    # init: slack V, others 1 pu with angle of its slack minus cumulative trafo shifts (like a DC init)
    V = np.ones(nb, complex)
    for r in ref:
        V[r] = slack[r]
    seen, st = set(ref), list(ref)
    while st:
        u = st.pop()
        for fb, tb, *_rest in br:
            kind, row = _rest[-2], _rest[-1]
            for a_, b_, sgn in ((fb, tb, -1), (tb, fb, 1)):
                if a_ == u and b_ not in seen:
                    sh = nz(row.get("shift_degree")) if kind == "trafo" else 0
                    V[b_] = abs(V[b_]) * np.exp(1j * (np.angle(V[u]) + sgn * math.radians(sh)))
                    seen.add(b_); st.append(b_)
    Ysub = Y
    for it in range(20):
        vm = np.abs(V)
        Sload = Sd + zp * vm ** 2 + ip * vm
        mis = V * np.conj(Ysub @ V) + Sload
        F = np.r_[mis[pq].real, mis[pq].imag]
        if np.max(np.abs(F)) < 1e-10:
            break
        # dS/dVa, dS/dVm (pypower dSbus_dV)
        Ibus = Ysub @ V
        dV = np.diag(V); dI = np.diag(Ibus); dVn = np.diag(V / np.abs(V))
        dS_dVa = 1j * dV @ np.conj(dI - Ysub @ dV)
        dS_dVm = dV @ np.conj(Ysub @ dVn) + np.conj(dI) @ dVn
        dS_dVm = dS_dVm + np.diag(2 * zp * vm + ip)  # load side derivative (mis includes +Sload)
        J = np.block([[dS_dVa[np.ix_(pq, pq)].real, dS_dVm[np.ix_(pq, pq)].real],
                      [dS_dVa[np.ix_(pq, pq)].imag, dS_dVm[np.ix_(pq, pq)].imag]])
        dx = np.linalg.solve(J, -F)
        n = len(pq)
        va = np.angle(V); vm = np.abs(V)
        va[pq] += dx[:n]; vm[pq] += dx[n:]
        V = vm * np.exp(1j * va)
    res_bus = {b["index"]: (abs(V[pos[b["index"]]]), math.degrees(np.angle(V[pos[b["index"]]]))) for b in buses}
    res_line, res_trafo = {}, {}
    for fb, tb, yff, yft, ytf, ytt, kind, row in br:
        If = yff * V[fb] + yft * V[tb]; It = ytf * V[fb] + ytt * V[tb]
        sf, st_ = V[fb] * np.conj(If) * sn, V[tb] * np.conj(It) * sn
        i_f = abs(sf) / (abs(V[fb]) * base_kv[fb]) / math.sqrt(3)
        i_t = abs(st_) / (abs(V[tb]) * base_kv[tb]) / math.sqrt(3)
        if kind == "line":
            imax = row["max_i_ka"] * row["df"] * row["parallel"]
            res_line[row["index"]] = (max(i_f, i_t) / imax * 100, max(i_f, i_t), sf.real)
        else:
            ld = max(i_f * row["vn_hv_kv"], i_t * row["vn_lv_kv"]) * math.sqrt(3) / row["sn_mva"] * 100
            res_trafo[row["index"]] = (ld / row["parallel"] / row["df"],)
    return res_bus, res_line, res_trafo, it


def read(p):
    with open(p) as fh:
        r = csv.DictReader(fh)
        return {int(x[""]): x for x in r}


for name in ["tiny", "cigre_mv", "cigre_mv_der", "mv_oberrhein"]:
    rb, rl, rt, it = solve(name)
    pb, pl, pt = (read(os.path.join(D, f"{name}_res_{k}.csv")) for k in ("bus", "line", "trafo"))
    dvm = max(abs(rb[i][0] - float(pb[i]["vm_pu"])) for i in rb)
    dva = max(abs(rb[i][1] - float(pb[i]["va_degree"])) for i in rb)
    dll = max(abs(rl[i][0] - float(pl[i]["loading_percent"])) for i in rl)
    dik = max(abs(rl[i][1] - float(pl[i]["i_ka"])) for i in rl)
    dpf = max(abs(rl[i][2] - float(pl[i]["p_from_mw"])) for i in rl)
    dtl = max(abs(rt[i][0] - float(pt[i]["loading_percent"])) for i in rt)
    print(f"{name:13s} NR iters={it} max|dvm|={dvm:.2e} pu max|dva|={dva:.2e} deg "
          f"line: |dloading|={dll:.2e} % |di|={dik:.2e} kA |dp_from|={dpf:.2e} MW trafo |dloading|={dtl:.2e} %")
