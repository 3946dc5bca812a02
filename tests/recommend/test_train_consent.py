"""Training honours consent: a member who withdrew "statistics" or "personalization" teaches the
shared models nothing, and a withdrawal after training asks for a retrain (SQLite, PostgreSQL).

The planted case: only one member watched both Secret A and Secret B. Trained on everyone, an
item-item model links the two, and a member who watched Secret A alone is shown Secret B
"because you watched Secret A" or as a pick: the page tells them what that one member watched.
At the default viewer minimum, too few members took both secrets for either; the tests lower it
to one (a household's own server), where consent alone keeps the link off the page.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from test_rows_world import AS_OF, DAY, HOUR, World
from typer.testing import CliRunner

from bingewise.cli import app
from bingewise.config import reset_settings
from bingewise.privacy.consent import Purpose, record_consent
from bingewise.privacy.erase import pending_retrains
from bingewise.recommend.rows import Row, RowKind, RowOptions, demo_step, home_rows
from bingewise.recommend.train import TrainedModel, train
from bingewise.registry import Registry
from bingewise.warehouse import Warehouse

SECRET_A, SECRET_B = 10, 11
FILLERS = list(range(20, 26))
LONER = 100  #: the only member who watched both secrets
FOCAL = 200  #: watched Secret A only
A_CROWD = list(range(101, 113))  #: watched Secret A and fillers 20-22
B_CROWD = list(range(113, 125))  #: watched Secret B and fillers 23-25

runner = CliRunner()


def planted() -> World:
    w = World()
    w.film(SECRET_A, "Secret A")
    w.film(SECRET_B, "Secret B")
    for f in FILLERS:
        w.film(f, f"Film {f}")
    for m in (LONER, FOCAL, *A_CROWD, *B_CROWD):
        w.member(m, "MX")
    w.watch(LONER, SECRET_A, AS_OF - 3 * DAY, 6000)
    w.watch(LONER, SECRET_B, AS_OF - 2 * DAY, 6000)
    for k, m in enumerate(A_CROWD):
        w.watch(m, SECRET_A, AS_OF - 5 * DAY, 6000)
        w.watch(m, FILLERS[k % 3], AS_OF - 4 * DAY, 6000)
    for k, m in enumerate(B_CROWD):
        w.watch(m, SECRET_B, AS_OF - 5 * DAY, 6000)
        w.watch(m, FILLERS[3 + k % 3], AS_OF - 4 * DAY, 6000)
    w.watch(FOCAL, SECRET_A, AS_OF - 10 * HOUR, 6000)
    return w


@pytest.fixture
def stores(home: Path, registry: Registry) -> Registry:
    """The planted platform in $BINGEWISE_HOME's warehouse; the registry of the test."""
    with Warehouse.open() as wh:
        planted().write(wh)
    return registry


def _model_rows_show(rows: list[Row], item: int) -> bool:
    """Whether a row made by the model (not a country ranking) shows ``item``."""
    model_kinds = {RowKind.BECAUSE_YOU_WATCHED, RowKind.TOP_PICKS}
    return any(
        it.item_id == item
        for r in rows
        for it in r.items
        if r.kind in model_kinds or it.reason.get("basis") == "model"
    )


#: A service that lowered the minimum to one (a household's own server): only consent keeps
#: the loner's link off the page (at the default minimum, too few members took both secrets)
ONE = RowOptions(min_viewers=1)


def _focal_page(trained: TrainedModel, options: RowOptions = ONE) -> list[Row]:
    with Warehouse.open(read_only=True) as wh:
        return home_rows(FOCAL, warehouse=wh, trained=trained, as_of=AS_OF, options=options)


def _similarity(trained: TrainedModel, a: int, b: int) -> float:
    pos = trained.positions(np.array([a, b]))
    assert (pos >= 0).all()
    ids, sims = trained.model.similar_items(pos[:1], n=len(trained.item_ids) - 1)
    found = dict(zip(ids[0].tolist(), sims[0].tolist(), strict=True))
    return float(found.get(int(pos[1]), 0.0))


def test_the_planted_link_exists_when_everyone_consents(stores: Registry) -> None:
    with Warehouse.open(read_only=True) as wh:
        trained = train(wh, "itemknn", as_of=AS_OF, registry=stores)
    assert LONER in trained.member_ids.tolist() and trained.withheld_members == 0
    assert _similarity(trained, SECRET_A, SECRET_B) > 0
    assert _model_rows_show(_focal_page(trained), SECRET_B)
    assert not _model_rows_show(_focal_page(trained, RowOptions()), SECRET_B)  # one took both


@pytest.mark.parametrize("purpose", [Purpose.STATISTICS, Purpose.PERSONALIZATION])
def test_a_withdrawn_member_trains_nothing(stores: Registry, purpose: Purpose) -> None:
    """Withdrawn statistics (aggregate uses) or personalization (recommendations from one's
    viewing): the member's history is not in the training matrix, so the link only they made
    is gone and the page shows no trace of it; everyone else still trains the model."""
    record_consent(stores, LONER, purpose, False, source="web")
    with Warehouse.open(read_only=True) as wh:
        trained = train(wh, "itemknn", as_of=AS_OF, registry=stores)
    assert LONER not in trained.member_ids.tolist()
    assert trained.withheld_members == 1
    assert set(trained.member_ids.tolist()) == {FOCAL, *A_CROWD, *B_CROWD}
    assert _similarity(trained, SECRET_A, SECRET_B) == 0
    assert not _model_rows_show(_focal_page(trained), SECRET_B)


def test_train_reads_the_configured_registry_by_default(stores: Registry) -> None:
    """Called without a registry (as the benchmarks and scripts do), training reads the
    configured one: consent is never skipped by forgetting an argument."""
    record_consent(stores, LONER, Purpose.STATISTICS, False, source="web")
    with Warehouse.open(read_only=True) as wh:
        trained = train(wh, "itemknn", as_of=AS_OF)
    assert LONER not in trained.member_ids.tolist() and trained.withheld_members == 1


def test_demo_and_cli_leave_withdrawn_members_out_and_say_how_many(
    stores: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BINGEWISE_MIN_VIEWERS", "1")  # consent alone keeps the link off
    reset_settings()
    record_consent(stores, LONER, Purpose.STATISTICS, False, source="web")
    with Warehouse.open() as wh:
        member, rows = demo_step(wh, stores, model="itemknn", member_id=FOCAL, show=False)
    assert member == FOCAL and not _model_rows_show(rows, SECRET_B)
    result = runner.invoke(app, ["-q", "train", "--model", "itemknn", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert "1 member left out: consent to statistics or personalization withdrawn" in (
        result.stdout
    )
    assert str(LONER) not in result.stdout  # a count only, never who


def test_a_withdrawal_after_training_queues_a_retrain(stores: Registry) -> None:
    """As an erasure does: a model that learned from the member waits for retraining; the next
    `bingewise train` of it closes the request. Other purposes, and members the model never
    saw, queue nothing."""
    result = runner.invoke(app, ["-q", "train", "--model", "itemknn", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    record_consent(stores, LONER, Purpose.RECOMMENDATION_EMAILS, False, source="web")
    record_consent(stores, 999, Purpose.STATISTICS, False, source="web")  # not in the model
    assert pending_retrains(stores) == []
    record_consent(stores, LONER, Purpose.PERSONALIZATION, False, source="web")
    assert pending_retrains(stores) == ["itemknn"]
    later = AS_OF + dt.timedelta(minutes=1)
    result = runner.invoke(app, ["-q", "train", "--model", "itemknn", "--as-of", later.isoformat()])
    assert result.exit_code == 0, result.output
    assert pending_retrains(stores) == []


def test_ratings_of_withheld_members_are_left_out_too(warehouse: Warehouse) -> None:
    """A rating trains as a finished play does; a withheld member's ratings train nothing, and
    a withheld member with ratings only is counted as left out."""
    from bingewise.recommend.interactions import build_interactions

    planted().write(warehouse)
    rater = 300
    for k, title in enumerate((SECRET_A, SECRET_B)):
        warehouse.duck.execute(
            "INSERT INTO ratings VALUES (?, ?, ?, 4.0, ?, 'test')",
            [k + 1, rater, title, AS_OF - DAY],
        )
    everyone = build_interactions(warehouse, as_of=AS_OF)
    assert rater in everyone.interactions.member_ids.tolist()
    data = build_interactions(warehouse, as_of=AS_OF, excluded_members=[rater, LONER, 999])
    members = data.interactions.member_ids.tolist()
    assert rater not in members and LONER not in members and data.withheld_members == 2
    assert len(members) == len(everyone.interactions.member_ids) - 2
    # Everyone else's rows are exactly what they were.
    rows = [everyone.interactions.member_ids.tolist().index(m) for m in members]
    assert (everyone.interactions.matrix[rows] != data.interactions.matrix).nnz == 0


def test_consent_withdraw_names_the_models_waiting_for_retraining(stores: Registry) -> None:
    result = runner.invoke(app, ["-q", "train", "--model", "itemknn", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    said = runner.invoke(app, ["-q", "consent", "withdraw", str(LONER), "statistics"])
    assert said.exit_code == 0, said.output
    assert "models waiting for retraining: itemknn" in said.stdout


def test_a_request_made_while_training_ran_stays_open(stores: Registry) -> None:
    """An erasure or withdrawal that lands while `bingewise train` runs may reach the warehouse
    after the training read the member's rows: the training must not close its request (the
    saved model may hold the member), and says so. Stood in for by a request dated after the
    training began."""
    from bingewise.registry.tables import retrain_requests

    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=1)
    with stores.engine.begin() as conn:
        conn.execute(
            retrain_requests.insert(),
            [{"model": "itemknn", "reason": "erasure", "requested_utc": later}],
        )
    result = runner.invoke(app, ["train", "--model", "itemknn", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert pending_retrains(stores) == ["itemknn"]
    assert "stays queued for retraining" in " ".join(result.output.split())
