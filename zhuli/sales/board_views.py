"""The kanban board (销售看板): columns by stage, drag a card to another column to move it.

The drop POSTs to board_move, which calls opportunity_move (the same service as the API's move) and answers
the moved card plus every column header out-of-band (htmx), computed with the board's filters. A refused
move answers the error as text (a toast) and the script puts the card back."""
from __future__ import annotations

from html import escape

from django import forms
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from zhuli.access.scoping import require
from zhuli.preferences.models import DictionaryKind
from zhuli.preferences.selectors import dictionary_choices
from zhuli.web.templatetags.zhuli import money

from .board import BOARD_STATUSES, BoardFilters, board, board_totals, closed_day, closed_period, is_overdue
from .models import OpportunityStatus, StageKind
from .selectors import department_choices, owner_choices
from .services import opportunity_move

MAX_ID = 2**63 - 1
STATUS_CHOICES = [(OpportunityStatus.TRACKING.value, OpportunityStatus.TRACKING.label),
                  (OpportunityStatus.ON_HOLD.value, OpportunityStatus.ON_HOLD.label),
                  (OpportunityStatus.INVALID.value, OpportunityStatus.INVALID.label),
                  ("all", gettext_lazy("全部未关闭"))]
assert {k for k, _label in STATUS_CHOICES} == set(BOARD_STATUSES)


def _sane_year(value):
    if value and not (1900 <= value.year <= 2200):
        raise forms.ValidationError(gettext_lazy("日期超出范围"))


class BoardFilterForm(forms.Form):
    """GET parameters of the board (and of the move, so the headers are recomputed alike); bad values are
    dropped, so links never break."""

    owner = forms.RegexField(regex=r"^(me|\d{1,18})$", required=False)
    department = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    date_from = forms.DateField(required=False, validators=[_sane_year])
    date_to = forms.DateField(required=False, validators=[_sane_year])
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)

    def filters(self) -> BoardFilters:
        self.is_valid()
        d = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        if d.get("date_from") and d.get("date_to") and d["date_from"] > d["date_to"]:
            # Typed the wrong way round: the range the user meant, not an empty board (the API says 422).
            d["date_from"], d["date_to"] = d["date_to"], d["date_from"]
        return BoardFilters(owner=d.get("owner", ""), department=d.get("department"), date_from=d.get("date_from"),
                            date_to=d.get("date_to"), status=d.get("status") or OpportunityStatus.TRACKING)


def _filter_params(f: BoardFilters) -> dict:
    params = {"owner": f.owner, "department": f.department or "", "status": f.status,
              "date_from": f.date_from.isoformat() if f.date_from else "",
              "date_to": f.date_to.isoformat() if f.date_to else ""}
    return {k: v for k, v in params.items() if v not in ("", None) and not (k == "status" and v == "tracking")}


def _list_url(actor, f: BoardFilters, stage) -> str:
    """The opportunity list with the column's filters (查看全部)."""
    try:
        base = reverse("sales:list")
    except NoReverseMatch:
        return ""
    params = {"stage": stage.pk, "owner": f.owner, "department": f.department or ""}
    if stage.kind == StageKind.OPEN:
        if f.status != "all":
            params["status"] = f.status
        params["close_from"] = f.date_from.isoformat() if f.date_from else ""
        params["close_to"] = f.date_to.isoformat() if f.date_to else ""
    else:
        # The column counts what closed in the board's period; the list says the same with its closed-date filter.
        params["status"] = stage.kind
        closed_from, closed_to = closed_period(actor, f)
        params["closed_from"] = closed_from.isoformat() if closed_from.year > 1900 else ""
        params["closed_to"] = closed_to.isoformat() if closed_to.year < 9999 else ""
    return f"{base}?{urlencode({k: v for k, v in params.items() if v not in ('', None)})}"


class CardRenderer:
    """A card's HTML, built in Python: 30 cards × N columns through {% include %} cost more than the queries."""

    def __init__(self, actor):
        self.today = actor.tenant.today()
        self.now = timezone.now()
        self.detail = reverse("sales:detail", args=[0])
        self.no_date = _("未定成交日")
        self.late = _("已过预计成交日期")
        self.zone = actor.tenant.zone
        self.closed_on = {OpportunityStatus.WON: _("赢单日期"), OpportunityStatus.LOST: _("输单日期")}
        self.days_text: dict[int, str] = {}

    def __call__(self, card, *, oob: bool = False) -> SafeString:
        # Every value goes through html.escape (the same five characters Django escapes): format_html's lazy
        # wrappers cost more than the board's queries at 180 cards.
        days = max(0, (self.now - card.stage_entered_at).days)
        closed_on = closed_day(card, self.zone)
        if closed_on is not None:
            # 赢单 / 输单 cards are ordered by when they closed, and say that day instead of the expected one,
            # with what it is in the title.
            close = closed_on.isoformat()
            late = (f' title="{escape(self.closed_on[card.status])}"', "", "", "text-secondary")
        else:
            close = card.close_date.isoformat() if card.close_date else self.no_date
            late = (f' title="{escape(self.late)}"', '<i class="bi bi-exclamation-circle" aria-hidden="true"></i> ',
                    " zl-overdue", "text-danger fw-semibold") if is_overdue(card, self.today) else (
                        "", "", "", "text-secondary")
        days_text = self.days_text.get(days)
        if days_text is None:  # a board holds a few dozen distinct ages: translate each once
            days_text = self.days_text[days] = ngettext("本阶段 %(days)s 天", "本阶段 %(days)s 天", days) % {"days": days}
        oob_attr = ' hx-swap-oob="true"' if oob else ""
        href = self.detail.replace("/0/", f"/{card.pk}/")
        return SafeString(
            f'<article class="zl-board-card{late[2]}" id="board-card-{card.pk}" data-id="{card.pk}"{oob_attr}>'
            f'<div class="fw-semibold text-break"><a class="text-decoration-none" '
            f'href="{href}">{escape(card.title)}</a></div>'
            f'<div class="small text-secondary text-truncate">{escape(card.customer.name)}</div>'
            f'<div class="d-flex justify-content-between small mt-1 gap-2"><span class="fw-semibold">'
            f'¥{money(card.amount)}</span><span class="{late[3]}" data-close{late[0]}>{late[1]}{escape(close)}</span></div>'
            f'<div class="d-flex justify-content-between small text-secondary gap-2"><span class="text-truncate">'
            f'{escape(card.owner.display_name)}</span><span class="text-nowrap" data-days>{escape(days_text)}</span></div>'
            f'</article>')


def _decorate(actor, columns, f: BoardFilters) -> None:
    render_card = CardRenderer(actor)
    for column in columns:
        column.list_url = _list_url(actor, f, column.stage)
        column.cards_html = SafeString("".join(render_card(card) for card in column.cards))


def _options(actor) -> dict:
    return {"owners": owner_choices(actor=actor), "departments": department_choices(actor=actor)}


@require_GET
def board_view(request):
    actor = request.actor
    require(actor, "opportunities.view")
    form = BoardFilterForm(request.GET)
    f = form.filters()
    columns = board(actor=actor, filters=f)
    _decorate(actor, columns, f)
    params = _filter_params(f)
    closed_from, closed_to = closed_period(actor, f)
    return render(request, "sales/board.html", {
        "page_title": _("销售看板"), "columns": columns, "f": f, "query": urlencode(params),
        "status_choices": STATUS_CHOICES, "can_move": actor.can("opportunities", "edit"),
        "lost_reasons": dictionary_choices(actor=actor, kind=DictionaryKind.LOST_REASON),
        "closed_from": closed_from, "closed_to": closed_to, "today": actor.tenant.today(),
        "custom_period": bool(f.date_from or f.date_to), **_options(actor),
    })


@require_POST
def board_move(request, pk: int):
    """Drop of card `pk` on a column: stage_id (+ lost_reason_id / note for 输单) in the body, the board's
    filters in the query string."""
    actor = request.actor
    opp = opportunity_move(actor=actor, opportunity_id=pk, stage_id=request.POST.get("stage_id") or 0,
                           note=request.POST.get("note", "")[:500],
                           lost_reason_id=request.POST.get("lost_reason_id") or None)
    f = BoardFilterForm(request.GET).filters()
    columns = board_totals(actor=actor, filters=f)
    _decorate(actor, columns, f)
    return render(request, "sales/partials/board_moved.html", {"columns": columns,
                                                                "card_html": CardRenderer(actor)(opp, oob=True)})
