"""The interactive dashboard (ipywidgets + matplotlib), served by Voila.

Two modes:

* **Researcher mode**: any organisation of any wave, plus whole-wave views (segment map,
  reliability).
* **Client mode** (a client parameters file): locked to one organisation. Every view is
  drawn from that client's results (:func:`maturity.published.results.build_client_results`), which
  hold only aggregates that passed the privacy rules, and figures are sent as images; no
  other organisation's id or name is ever put into a widget, so none reaches the browser.

A change of wave, peer filter or comparison point recomputes the client's results (a
fraction of a second) and redraws only the view on screen; the other views are redrawn
when their tab is opened. While that runs the controls are disabled and the status line
says so. A failure shows a short message in the page; details go to the server log only.
"""

from __future__ import annotations

import dataclasses
import html
import io
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Image, display

from ..analysis.learners import learner_reliability, measure_names
from ..analysis.reliability import reliability
from ..analysis.segments import segment_map
from ..benchmarking.client_parameters import ClientParameters, load_client_parameters
from ..clients.results import client_from_data, client_from_store, exploration_publication
from ..published.profile import ClientProfile, client_from_survey
from ..published.results import build_client_results
from ..published.table import Publication
from ..benchmarking.learner_voice import learner_voice_block, wave_learner_aggregates
from ..benchmarking.peers import COMPARISON_LABELS, COMPARISON_POINTS, DEFAULT_COMPARE_TO, check_peer_filters
from ..benchmarking.privacy import small_group_reason
from ..benchmarking.release_plan import group_members
from ..benchmarking.wave_models import wave_importance, wave_publication, wave_segments
from ..config import DEFAULT_MIN_GROUP_SIZE, DEFAULT_MIN_LEARNERS, DEFAULT_SEED, check_min_group_size
from ..data.population import BenchmarkData, wave_from_store
from ..data.responses import read_responses
from ..data.store import BenchmarkStore
from ..errors import DataError, MaturityError, ParametersError, StoreError
from ..framework import INDEX_COLUMN
from ..reporting import figures, report_blocks
from ..reporting.learner_blocks import learner_voice_html
from .access import public_message
from .environment import ENV_CLIENT, ENV_DB, ENV_MIN_GROUP, ENV_WAVE, mark_ready

log = logging.getLogger(__name__)

#: (key, tab title) of the views shown in both modes.
VIEWS = (
    ("overview", "Overview"),
    ("profile", "Strands"),
    ("distribution", "Distribution"),
    ("segments", "Segments"),
    ("achievers", "Achievers"),
    ("priorities", "Priorities"),
    ("trend", "Trend"),
)
#: Views only researchers see (whole-wave, row-level analyses).
RESEARCHER_VIEWS = (("reliability", "Reliability"), ("learners", "Learners"))


# --- data ---------------------------------------------------------------------------------------


@dataclass
class WaveData:
    """A wave loaded for the dashboard, with the models fitted on it (cached)."""

    data: BenchmarkData
    segment_model: Any | None = None
    importance: pd.Series | None = None
    extras: dict[str, Any] = field(default_factory=dict)


class DashboardData:
    """Read-only access to a benchmark database, cached per wave.

    Parameters
    ----------
    db : path
        Benchmark database.
    """

    def __init__(self, db: str | Path) -> None:
        self.db = Path(db)
        with BenchmarkStore(self.db, read_only=True) as store:
            self.waves: list[str] = [str(w) for w in store.waves()["wave"]]
        if not self.waves:
            raise StoreError(f"the database {self.db} holds no waves yet (run `maturity import`)")
        self._cache: dict[str, WaveData] = {}
        self._history: dict[str, pd.DataFrame] = {}

    def latest(self) -> str:
        return self.waves[-1]

    def wave(self, label: str | None) -> WaveData:
        """The wave's data, segment model and strand importance (loaded once); the same
        segments and importance as the wave's client reports."""
        with BenchmarkStore(self.db, read_only=True) as store:
            label = store.resolve_wave(label)
            if label not in self._cache:
                data = wave_from_store(store, label)
                self._cache[label] = WaveData(data, wave_segments(store, label, data), wave_importance(data))
        return self._cache[label]

    def publication(self, label: str) -> Publication:
        """The wave's published table (stored with the wave, else built once): all a client sees."""
        key = ("publication", label)
        if key not in self._cache:
            with BenchmarkStore(self.db, read_only=True) as store:
                self._cache[key] = Publication(wave_publication(store, label))
        return self._cache[key]

    def client(self, label: str, organisation: str) -> ClientProfile:
        """An organisation's own row of a wave (nothing else of the wave is read)."""
        with BenchmarkStore(self.db, read_only=True) as store:
            return client_from_store(store, label, organisation)

    def history(self, organisation: str) -> pd.DataFrame:
        """An organisation's scores in every wave it took part in."""
        if organisation not in self._history:
            with BenchmarkStore(self.db, read_only=True) as store:
                self._history[organisation] = store.history(organisation)
        return self._history[organisation]


# --- the dashboard ------------------------------------------------------------------------------


class Dashboard:
    """The dashboard widget tree and its behaviour.

    Parameters
    ----------
    db : path
        Benchmark database.
    client : ClientParameters or path, optional
        Client mode: locked to this client's organisation (or its own survey).
    wave : str, optional
        Initial wave (default: the client's wave, else the latest).
    min_group_size : int, optional
        Privacy threshold (default: the client's, else ``DEFAULT_MIN_GROUP_SIZE``; never below 3).
    seed : int
        Seed of the researcher's segment map.
    """

    def __init__(
        self,
        db: str | Path,
        *,
        client: ClientParameters | str | Path | None = None,
        wave: str | None = None,
        min_group_size: int | None = None,
        seed: int = DEFAULT_SEED,
    ) -> None:
        if client is not None and not isinstance(client, ClientParameters):
            client = load_client_parameters(client)
        self.client_params: ClientParameters | None = client
        self.client_mode = client is not None
        self.source = DashboardData(db)
        self.seed = seed
        base_min = client.min_group_size if client else DEFAULT_MIN_GROUP_SIZE
        self.min_group_size = check_min_group_size(min_group_size if min_group_size is not None else base_min)
        self.results: dict[str, Any] | None = None
        self.updates = 0
        self._client: ClientProfile | None = None
        self._wave: WaveData | None = None
        self._suspend = False
        self._stale: set[str] = set()
        self._own_survey: ClientProfile | None = None

        views = VIEWS if self.client_mode else VIEWS + RESEARCHER_VIEWS
        self.view_keys = [key for key, _ in views]
        self._build_widgets(wave or (client.wave if client else None), views)
        self._load_wave(self.wave_select.value, initial=True)

    # -- construction --
    @classmethod
    def from_environment(cls, **overrides: Any) -> "Dashboard":
        """Build from the variables ``maturity dashboard`` sets (overrides win when not None)."""
        env = {
            "db": os.environ.get(ENV_DB),
            "client": os.environ.get(ENV_CLIENT) or None,
            "wave": os.environ.get(ENV_WAVE) or None,
            "min_group_size": int(os.environ[ENV_MIN_GROUP]) if os.environ.get(ENV_MIN_GROUP) else None,
        }
        env.update({k: v for k, v in overrides.items() if v is not None})
        if not env["db"]:
            raise ParametersError("no benchmark database given (start it with `maturity dashboard --db PATH`)")
        return cls(**env)

    def _build_widgets(self, wave: str | None, views) -> None:
        style = {"description_width": "110px"}
        wide = widgets.Layout(width="100%")
        self.title = widgets.HTML()
        self.title.add_class("maturity-title")
        self.wave_select = widgets.Dropdown(
            options=self.source.waves, value=wave if wave in self.source.waves else self.source.latest(),
            description="Wave", style=style, layout=wide,
        )
        self.wave_select.add_class("maturity-wave")
        self.organisation_select: widgets.Dropdown | None = None
        if not self.client_mode:
            self.organisation_select = widgets.Dropdown(description="Organisation", style=style, layout=wide)
            self.organisation_select.add_class("maturity-organisation")
        self.filter_selects: dict[str, widgets.SelectMultiple] = {}
        #: Client mode: the peer groups the wave's release plan releases, one to pick.
        self.group_select: widgets.Dropdown | None = None
        self.compare_select = widgets.ToggleButtons(
            options=[(point.replace("_", " ").capitalize(), point) for point in COMPARISON_POINTS],
            tooltips=[COMPARISON_LABELS[point].capitalize() for point in COMPARISON_POINTS],
            value=self.client_params.compare_to if self.client_params else DEFAULT_COMPARE_TO,
            description="Compare to", style={"description_width": "110px", "button_width": "92px"},
        )
        self.compare_select.add_class("maturity-compare")
        self.peer_info = widgets.HTML()
        self.peer_info.add_class("maturity-peer-info")
        self.status = widgets.HTML()
        self.status.add_class("maturity-status")
        self.message = widgets.HTML()
        self.message.add_class("maturity-message")
        self.outputs = {key: widgets.Output() for key, _ in views}
        for key, out in self.outputs.items():
            out.add_class(f"maturity-view-{key}")
        self.tabs = widgets.Tab(children=[self.outputs[k] for k, _ in views])
        for i, (_, title) in enumerate(views):
            self.tabs.set_title(i, title)
        self.tabs.observe(self._on_tab, names="selected_index")
        self.filter_box = widgets.VBox()
        controls = [self.wave_select]
        if self.organisation_select is not None:
            controls.append(self.organisation_select)
        controls += [
            widgets.HTML("<b>Peer group</b> <span style='color:#666'>(no selection: all)</span>"),
            self.filter_box,
            self.peer_info,
            self.compare_select,
            self.status,
        ]
        self.controls = widgets.VBox(controls, layout=widgets.Layout(width="360px", padding="0 16px 0 0"))
        body = widgets.HBox([self.controls, widgets.VBox([self.message, self.tabs], layout=widgets.Layout(flex="1"))])
        self.root = widgets.VBox([self.title, body])
        self.root.add_class("maturity-dashboard")
        self.wave_select.observe(self._on_wave, names="value")
        self.compare_select.observe(self._on_change, names="value")
        if self.organisation_select is not None:  # a researcher picks another organisation: update
            self.organisation_select.observe(self._on_change, names="value")

    # -- behaviour --
    def _guard(self, action: Callable[[], None]) -> None:
        """Run an update with the busy state shown and errors turned into a short message."""
        self._busy(True)
        try:
            self.message.value = ""
            action()
        except MaturityError as exc:
            log.warning("dashboard update refused: %s", exc)  # the full message, paths included
            self._fail(public_message(str(exc)))
        except Exception:  # never a traceback in the page; the server log has it
            log.exception("dashboard update failed")
            self._fail("Something went wrong while updating the dashboard. The details are in the server log.")
        finally:
            self._busy(False)

    def _busy(self, busy: bool) -> None:
        for w in self._control_widgets():
            w.disabled = busy
        if busy:
            self.status.value = "<span class='maturity-busy'>&#8987; Updating&hellip;</span>"
        else:
            self.status.value = f"<span class='maturity-ready' data-updates='{self.updates}'>Ready &middot; update {self.updates}</span>"

    def _fail(self, text: str) -> None:
        self.message.value = (
            "<div style='background:#fdecea;color:#611a15;padding:8px 12px;border-radius:4px'>"
            f"{html.escape(text)}</div>"
        )

    def _control_widgets(self) -> list[widgets.Widget]:
        out: list[widgets.Widget] = [self.wave_select, self.compare_select, *self.filter_selects.values()]
        if self.group_select is not None:
            out.append(self.group_select)
        if self.organisation_select is not None:
            out.append(self.organisation_select)
        return out

    def _on_wave(self, change: dict) -> None:
        if not self._suspend:
            self._guard(lambda: self._load_wave(change["new"]))

    def _on_change(self, change: dict) -> None:
        if not self._suspend:
            self._guard(self._update)

    def _on_tab(self, change: dict) -> None:
        key = self.view_keys[change["new"]] if change["new"] is not None else None
        if key in self._stale and self.results is not None:
            self._guard(lambda: self._render(key))

    def _load_wave(self, label: str, *, initial: bool = False) -> None:
        """Switch to a wave: rebuild the choices that depend on it, then update."""
        def load() -> None:
            self._label = label
            if self.client_mode:
                # A client's screen reads the wave's published table and its own row, nothing else.
                self._wave = None
                self._publication = self.source.publication(label)
                fw = self._publication.framework
                self._client = self._client_profile()
            else:
                self._wave = self.source.wave(label)
                fw = self._wave.data.framework
            self._suspend = True
            try:
                self._rebuild_filters(fw)
                if self.organisation_select is not None:
                    names = self._wave.data.responses.get(fw.name_column)
                    ids = list(self._wave.data.responses.index)
                    options = [(f"{i} \u00b7 {names.loc[i]}" if names is not None and pd.notna(names.loc[i]) else i, i) for i in ids]
                    previous = self.organisation_select.value
                    self.organisation_select.options = options
                    self.organisation_select.value = previous if previous in ids else (ids[0] if ids else None)
            finally:
                self._suspend = False
            self._update()

        if initial:
            self._guard(load)
        else:
            load()

    def _rebuild_filters(self, fw) -> None:
        """One multi-select per demographic, keeping the current choices where still valid
        (client mode: one choice among the peer groups the wave releases)."""
        if self.client_mode:
            self._rebuild_group_choice(fw)
            return
        wanted = dict(self.client_params.peers) if (self.client_params and not self.filter_selects) else {
            k: tuple(w.value) for k, w in self.filter_selects.items()
        }
        selects = {}
        for demo in fw.demographics:
            keep = [v for v in demo.values if v.casefold() in {x.casefold() for x in wanted.get(demo.id, ())}]
            w = widgets.SelectMultiple(
                options=list(demo.values), value=keep, description=demo.name,
                rows=min(6, len(demo.values)), style={"description_width": "110px"},
                layout=widgets.Layout(width="100%"),
            )
            w.add_class(f"maturity-filter-{demo.id}")
            w.observe(self._on_change, names="value")
            selects[demo.id] = w
        self.filter_selects = selects
        self.filter_box.children = list(selects.values())

    def _rebuild_group_choice(self, fw) -> None:
        """Client mode: offer only the peer groups the wave's release plan releases."""
        publication = self._publication
        self._plan_groups = {g["id"]: g for g in publication.released_groups}
        previous = self.group_select.value if self.group_select is not None else None
        if previous not in self._plan_groups:
            wanted = check_peer_filters(self.client_params.peers, fw)
            previous = publication.resolve(wanted, own=self._client.demographics)[0]["id"]
        options = [(f"{g['label']} ({g['n']:,})", g["id"]) for g in publication.released_groups]
        if self.group_select is None:
            self.group_select = widgets.Dropdown(options=options, value=previous if options else None,
                                                 description="Peers", style={"description_width": "50px"},
                                                 layout=widgets.Layout(width="100%"))
            self.group_select.add_class("maturity-peer-group")
            self.group_select.observe(self._on_change, names="value")
        else:
            self.group_select.options = options
            self.group_select.value = previous if options else None
        why = widgets.HTML(
            "<div class='maturity-plan-note' style='color:#555;font-size:90%'>Only the peer groups published "
            "for this wave are offered: the groups and their figures are fixed once for everyone and "
            "checked together, so that no combination of them can reveal one organisation's answers. "
            "Narrower or other combinations are not available.</div>")
        self.filter_box.children = [self.group_select, why]

    def current_filters(self) -> dict[str, list[str]]:
        """The peer filters as chosen on screen (empty selections dropped)."""
        if self.group_select is not None:
            group = self._plan_groups.get(self.group_select.value)
            return {k: list(v) for k, v in group["filters"].items()} if group else {}
        return {k: list(w.value) for k, w in self.filter_selects.items() if w.value}

    def _client_profile(self) -> ClientProfile | None:
        if self.client_mode:
            params = self.client_params
            if params.organisation is not None:
                try:
                    return self.source.client(self._label, params.organisation)
                except DataError:
                    raise DataError(f"Your organisation did not take part in wave {self._label}; choose another wave.") from None
            if self._own_survey is None:
                responses, _ = read_responses(params.responses, self._publication.framework)
                self._own_survey = client_from_survey(responses, self._publication.framework)
            return self._own_survey
        organisation = self.organisation_select.value if self.organisation_select else None
        return client_from_data(self._wave.data, organisation) if organisation is not None else None

    def _update(self) -> None:
        """Recompute the client's results and redraw the view on screen."""
        self.results = None
        self._client = self._client_profile()
        if self._client is None:
            raise DataError("This wave has no organisations to show.")
        base = self.client_params or ClientParameters(client_id="dashboard", db=self.source.db, organisation=self._client.id)
        params = dataclasses.replace(
            base, peers={k: tuple(v) for k, v in self.current_filters().items()},
            compare_to=self.compare_select.value, min_group_size=self.min_group_size, wave=self._label,
        )
        history = self.source.history(self._client.id) if self._client.in_benchmark else None
        if self.client_mode:
            # Only what the wave publishes: requests outside it get the nearest published
            # group, with a note saying why.
            publication = self._publication
        else:
            # The researcher is trusted and explores any group; the header says so.
            data = self._wave.data
            publication = exploration_publication(data, params.peers, min_group_size=self.min_group_size,
                                                  segment_model=self._wave.segment_model, importance=self._wave.importance)
        self.results = build_client_results(publication, self._client, params, publication.framework, history=history)
        self.updates += 1
        self._show_header()
        self._stale = set(self.view_keys)
        self._render(self.view_keys[self.tabs.selected_index or 0])

    def _show_header(self) -> None:
        r = self.results
        org = r["organisation"]
        who = html.escape(org.get("name") or org["id"])
        mode = ("Client view: figures from the wave's published table" if self.client_mode
                else "Researcher view, not a client view: any peer group, figures not limited to the release plan")
        self.title.value = (
            f"<h2 style='margin:4px 0'>Learning maturity benchmark: {who}</h2>"
            f"<div style='color:#555'>{mode} &middot; {html.escape(r['framework']['name'])} &middot; wave {html.escape(str(r['wave']))}</div>"
        )
        peers = r["peers"]
        notice = ""
        reason = small_group_reason(peers["n"], self.min_group_size, group="this peer group")
        plan_notes = [n for n in peers.get("notes") or [] if "released" in n]
        if plan_notes:
            notice = f"<div class='maturity-suppressed' style='color:#8a4b00'>{html.escape(plan_notes[0])}</div>"
        elif reason:
            notice = f"<div class='maturity-suppressed' style='color:#8a4b00'>Peer statistics withheld: {html.escape(reason)}.</div>"
        elif r["suppressed"]:
            notice = (
                f"<div class='maturity-suppressed' style='color:#8a4b00'>{len(r['suppressed'])} figure(s) withheld "
                "to protect small groups.</div>"
            )
        notes = "".join(f"<div style='color:#8a4b00'>{html.escape(n)}</div>" for n in peers.get("notes", []))
        self.peer_info.value = (
            f"<div><b class='maturity-peer-n' data-n='{peers['n']}'>{peers['n']:,} peers</b>: "
            f"{html.escape(peers['description'])}</div>{notice}{notes}"
        )

    # -- views --
    def _render(self, key: str) -> None:
        out = self.outputs[key]
        with out:
            out.clear_output(wait=True)
            getattr(self, f"_view_{key}")()
        self._stale.discard(key)

    @staticmethod
    def _figure(fig: plt.Figure | None, empty: str = "") -> None:
        if fig is None:
            if empty:
                display(HTML(f"<p><i>{html.escape(empty)}</i></p>"))
            return
        display(figure_image(fig))

    def _view_overview(self) -> None:
        r = self.results
        display(report_blocks.headlines(r))
        display(report_blocks.index_summary(r))
        self._figure(figures.peer_position(r, scores=[INDEX_COLUMN], title="Maturity index against the peer group"))
        display(report_blocks.segment_summary(r))

    def _view_profile(self) -> None:
        r = self.results
        self._figure(figures.peer_position(r, scores=[s for s in r["strand_names"] if s != INDEX_COLUMN],
                                         title="Strands against the peer group"))
        display(report_blocks.peer_table(r))

    def _view_distribution(self) -> None:
        r = self.results
        # The group's published bins (each of at least the minimum number of organisations),
        # drawn server-side: the browser receives an image, never counts of its own.
        self._figure(figures.published_distribution(r["peers"]["distributions"].get(INDEX_COLUMN),
                                                    highlight=r["scores"].get(INDEX_COLUMN)),
                     "The distribution is withheld: the group is too small to publish one.")
        self._figure(figures.percentile_ranks(r))

    def _view_segments(self) -> None:
        r = self.results
        display(report_blocks.segment_summary(r))
        self._figure(figures.segment_comparison(r), "No segment profile to compare with.")
        if self.client_mode or self._wave.segment_model is None:
            return  # a map plots individual organisations: researchers only
        model = self._wave.segment_model
        coords = self._wave.extras.get("segment_map")
        if coords is None:
            data = self._wave.data
            complete = data.scores[data.framework.strand_ids].dropna()
            labels = model.predict(complete)
            coords = segment_map(complete, labels, data.framework.strand_ids, random_state=self.seed)
            self._wave.extras["segment_map"] = coords
        order = list(getattr(model, "segment_names_", []) or [])
        self._figure(figures.segment_map_chart(coords, order=order or None))
        profiles = getattr(model, "profiles_", None)
        if profiles is not None and len(profiles):
            self._figure(figures.segment_profile_heatmap(profiles, self._wave.data.framework))

    def _view_achievers(self) -> None:
        rows = self.results.get("achievers") or []
        if not rows:
            display(HTML("<p><i>The framework has no outcomes to compare.</i></p>"))
            return
        display(report_blocks.achievers_table(self.results))

    def _view_priorities(self) -> None:
        display(report_blocks.priorities(self.results))

    def _view_trend(self) -> None:
        r = self.results
        display(report_blocks.trend_summary(r))
        self._figure(figures.own_trend(r))

    def _view_reliability(self) -> None:
        table = self._wave.extras.get("reliability")
        if table is None:
            data = self._wave.data
            table = reliability(data.responses, data.framework)
            self._wave.extras["reliability"] = table
        display(HTML(reliability_html(table)))

    def _view_learners(self) -> None:
        extras = self._wave.extras
        if "learners" not in extras:
            with BenchmarkStore(self.source.db, read_only=True) as store:
                extras["learners"] = wave_learner_aggregates(store, self._wave.data.wave)
        aggregates = extras["learners"]
        if aggregates is None:
            display(HTML("<p><i>This wave has no learners' survey.</i></p>"))
            return
        r, data = self.results, self._wave.data
        # The organisation's learners against the learners of the peer group on screen.
        ids = group_members(data.responses, data.scores[INDEX_COLUMN].dropna(), r["peers"]["filters"])
        block = learner_voice_block(self._client.id, aggregates, ids, min_learners=DEFAULT_MIN_LEARNERS,
                                    min_group_size=self.min_group_size, peer_label="this peer group")
        display(HTML(learner_voice_html(block)))
        table = learner_reliability(aggregates.summary, aggregates.framework, min_learners=DEFAULT_MIN_LEARNERS,
                                    min_group_size=self.min_group_size)
        shown = table.rename(index=measure_names(aggregates.framework))
        display(HTML("<h3>Do learners' answers describe their organisations? (whole wave)</h3>"
                     + shown.to_html(float_format=lambda x: f"{x:.2f}", na_rep="withheld", classes="maturity-table")))

    def _ipython_display_(self) -> None:
        display(self.root)


def figure_image(fig: plt.Figure, dpi: int = 90) -> Image:
    """Render a figure to a PNG display object once, and close it.

    IPython's own figure display trims the margins with ``bbox_inches="tight"``, which
    draws the figure twice; our figures are laid out already, so one draw is enough.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return Image(data=buffer.getvalue(), format="png")


def app(
    db: str | Path | None = None,
    *,
    client: str | Path | None = None,
    wave: str | None = None,
    min_group_size: int | None = None,
) -> Dashboard | HTML:
    """The dashboard for a notebook cell: the widget, or a short message if it cannot start.

    Arguments left as None are read from the environment that ``maturity dashboard`` sets.
    """
    try:
        return Dashboard.from_environment(db=db, client=client, wave=wave, min_group_size=min_group_size)
    except MaturityError as exc:
        log.warning("dashboard start-up refused: %s", exc)  # the full message, paths included
        return HTML(f"<div style='color:#611a15'>The dashboard cannot start: {html.escape(public_message(str(exc)))}</div>")
    except Exception:
        log.exception("dashboard start-up failed")
        return HTML("<div style='color:#611a15'>The dashboard cannot start; the details are in the server log.</div>")
    finally:
        mark_ready()


def reliability_html(table: pd.DataFrame) -> str:
    """A strand reliability table (``maturity.analysis.reliability.reliability``) as HTML."""

    def num(value: Any, digits: int = 2) -> str:
        return "n/a" if value is None or pd.isna(value) else f"{value:.{digits}f}"

    body = "".join(
        "<tr>"
        f"<td>{html.escape(str(r['name']))}</td><td>{int(r['n_items'])}</td><td>{int(r['n_respondents']):,}</td>"
        f"<td>{num(r['alpha'])} <span style='color:#777'>({num(r['alpha_ci_low'])} to {num(r['alpha_ci_high'])})</span></td>"
        f"<td>{num(r['std_alpha'])}</td><td>{num(r['omega_total'])}</td>"
        "</tr>"
        for _, r in table.iterrows()
    )
    return (
        "<table class='maturity-table'><thead><tr><th>Strand</th><th>Items</th><th>Respondents</th>"
        "<th>Cronbach's alpha (95% CI)</th><th>Standardised alpha</th><th>Omega total</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
        "<p style='color:#555'>Alpha from pairwise-complete covariances with a Feldt interval; omega total "
        "from a one-factor maximum-likelihood model.</p>"
    )
