"""crudeslate: a crude-slate LP for US Gulf Coast refineries (Pyomo + HiGHS)."""
