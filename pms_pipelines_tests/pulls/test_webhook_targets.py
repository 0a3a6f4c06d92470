from pms_pipelines.pulls.webhook_targets import plan


def _t(entity: str, ids: list[str], op: str = "upsert", kind: str = "id") -> dict:
    return {"entity": entity, "kind": kind, "ids": ids, "op": op}


def test_every_id_named_is_read_and_order_does_not_decide_deletes() -> None:
    """A late retry of an update after the delete, or a delete then a re-creation:
    either way the id is read, and the read says whether it is gone."""
    work = plan([
        [_t("tenancy", ["1", "2"])],
        [_t("tenancy", ["1"], "delete")],
        [_t("tenancy", ["3"], "delete")],
        [_t("tenancy", ["3"])],
        [_t("property", ["9"], kind="rental"), _t("property", ["4"])],
    ])
    assert work["tenancy"].frozen_targets() == {"id": frozenset({"1", "2", "3"})}
    assert work["tenancy"].deletes == {"1", "3"}
    assert plan([[_t("tenancy", ["1"], "delete")], [_t("tenancy", ["1"])]]) == plan(
        [[_t("tenancy", ["1"])], [_t("tenancy", ["1"], "delete")]])
    assert work["property"].frozen_targets() == {"rental": frozenset({"9"}),
                                                 "id": frozenset({"4"})}
    assert work["property"].deletes == set()


def test_a_burst_about_one_record_is_one_read() -> None:
    work = plan([[_t("tenant", ["7"])]] * 500)
    assert work["tenant"].frozen_targets() == {"id": frozenset({"7"})}
