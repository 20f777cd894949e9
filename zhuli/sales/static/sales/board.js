/* The kanban board: SortableJS moves cards between columns (mouse and touch); a drop POSTs the new stage
   through htmx (CSRF header from <body hx-headers>), whose answer swaps every column header and the card
   out-of-band. A refused move (the server's message shows as a toast), a cancelled 输单 dialog or a cancelled
   撤销赢单 confirmation (a 赢单 card dropped on another column) puts the card back where it was. No inline scripts (CSP). */
(function () {
  "use strict";

  var board = document.getElementById("board");
  if (!board || !window.Sortable) { return; }
  var moveUrl = board.dataset.moveUrl;
  var query = board.dataset.query;
  var dialogEl = document.getElementById("lose-dialog");
  var dialog = dialogEl && window.bootstrap ? new bootstrap.Modal(dialogEl) : null;
  var pending = null;  // the drop waiting for the 输单 dialog
  var unwinEl = document.getElementById("unwin-dialog");
  var unwin = unwinEl && window.bootstrap ? new bootstrap.Modal(unwinEl) : null;
  var unwinPending = null;  // a 赢单 card dropped elsewhere, waiting for confirmation

  function putBack(evt) {
    var ref = evt.from.children[evt.oldIndex] || null;
    evt.from.insertBefore(evt.item, ref);
  }

  function send(evt, extra) {
    var card = evt.item;
    var values = { stage_id: evt.to.dataset.stage };
    Object.keys(extra || {}).forEach(function (k) { values[k] = extra[k]; });
    var url = moveUrl.replace(/\/0\/move\/$/, "/" + card.dataset.id + "/move/") + (query ? "?" + query : "");
    card.classList.add("zl-saving");
    board.dataset.busy = "1";
    function done(event) {
      card.removeEventListener("htmx:afterRequest", done);
      card.classList.remove("zl-saving");
      delete board.dataset.busy;
      if (!event.detail.successful) { putBack(evt); }
    }
    card.addEventListener("htmx:afterRequest", done);
    window.htmx.ajax("POST", url, { source: card, values: values, swap: "none" });
  }

  function onAdd(evt) {
    if (evt.from.closest("[data-kind]").dataset.kind === "won" && unwin) {
      unwinPending = evt;
      unwin.show();
      return;
    }
    if (evt.to.closest("[data-kind]").dataset.kind === "lost" && dialog) {
      pending = evt;
      dialogEl.querySelector("form").reset();
      document.getElementById("lose-error").hidden = true;
      dialog.show();
      return;
    }
    send(evt);
  }

  if (dialogEl) {
    dialogEl.querySelector("form").addEventListener("submit", function (e) {
      e.preventDefault();
      var form = e.target;
      var reason = form.elements.lost_reason_id.value, note = form.elements.note.value.trim();
      if (!reason && !note) { document.getElementById("lose-error").hidden = false; return; }
      var evt = pending;
      pending = null;
      dialog.hide();
      if (evt) { send(evt, { lost_reason_id: reason, note: note }); }
    });
    dialogEl.addEventListener("hidden.bs.modal", function () {
      if (pending) { putBack(pending); pending = null; }
    });
  }

  if (unwinEl) {
    unwinEl.querySelector("form").addEventListener("submit", function (e) {
      e.preventDefault();
      var evt = unwinPending;
      unwinPending = null;
      unwin.hide();
      if (evt) { send(evt); }
    });
    unwinEl.addEventListener("hidden.bs.modal", function () {
      if (unwinPending) { putBack(unwinPending); unwinPending = null; }
    });
  }

  var canMove = board.hasAttribute("data-can-move");
  board.querySelectorAll(".zl-board-cards").forEach(function (list) {
    Sortable.create(list, {
      group: "board", sort: false, disabled: !canMove, animation: 120, forceFallback: true, fallbackTolerance: 3,
      delay: 150, delayOnTouchOnly: true, touchStartThreshold: 5,  // a touch that scrolls is not a drag
      filter: "a", preventOnFilter: false,
      // A card held near the board's edge scrolls it (on a phone one column shows); snapping is off meanwhile,
      // or every small scroll step would snap back to the column it started from.
      scroll: board, scrollSensitivity: 70, scrollSpeed: 18, bubbleScroll: true,
      onStart: function () { board.classList.add("zl-dragging"); },
      onEnd: function () { board.classList.remove("zl-dragging"); },
      onAdd: onAdd
    });
  });
})();
