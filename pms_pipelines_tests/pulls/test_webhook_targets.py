from pms_pipelines.pulls.webhook_targets import plan


def _t(entity: str, ids: list[str], op: str = "upsert", kind: str = "id") -> dict:
    return {"entity": entity, "kind": kind, "ids": ids, "op": op}


def test_the_last_notice_of_an_id_decides_read_or_delete() -> None:
    work = plan([
        [_t("tenancy", ["1", "2"])],
        [_t("tenancy", ["1"], "delete")],
        [_t("tenancy", ["3"], "delete")],
        [_t("tenancy", ["3"])],  # deleted, then created again: read it
        [_t("property", ["9"], kind="rental"), _t("property", ["4"])],
    ])
    assert work["tenancy"].frozen_targets() == {"id": frozenset({"2", "3"})}
    assert work["tenancy"].deletes == {"1"}
    assert work["property"].frozen_targets() == {"rental": frozenset({"9"}),
                                                 "id": frozenset({"4"})}
    assert work["property"].deletes == set()


def test_a_burst_about_one_record_is_one_read() -> None:
    work = plan([[_t("tenant", ["7"])]] * 500)
    assert work["tenant"].frozen_targets() == {"id": frozenset({"7"})}
