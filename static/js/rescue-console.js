// The rescue console (templates/rescue/console.html): polls rescue:feed every few seconds and re-renders the rows
// that changed, counts elapsed time from the server's clock, colours each row by its arrival deadline, raises an
// alarm (banner and beep) for an incident this page has not seen before, and sends the one-tap steps without a reload.
// Plain JavaScript, no framework. Without JavaScript the page is complete as served; a reload updates it.
(function () {
  "use strict";
  var root = document.getElementById("rescue-console");
  if (!root) return;

  var feedUrl = root.getAttribute("data-feed-url");
  var interval = parseInt(root.getAttribute("data-interval"), 10) || 3000;
  var openBody = document.getElementById("open-rows");
  var recentBody = document.getElementById("recent-rows");
  var openEmpty = document.getElementById("open-empty");
  var recentEmpty = document.getElementById("recent-empty");
  var openCount = document.getElementById("open-count");
  var statusEl = document.getElementById("feed-status");
  var alarm = document.getElementById("new-incident-alarm");
  var alarmText = document.getElementById("new-incident-text");
  var messagesEl = document.getElementById("console-messages");
  var soundButton = document.getElementById("sound-toggle");
  var baseTitle = document.title;
  var textEl = document.getElementById("rescue-console-text");
  var T = textEl ? JSON.parse(textEl.textContent) : {};
  function t(key, fallback) { return T[key] || fallback; }

  // Server time minus browser time: elapsed times and deadlines follow the server's clock.
  var offset = Date.parse(root.getAttribute("data-server-now")) - Date.now();
  if (isNaN(offset)) offset = 0;
  function serverNow() { return Date.now() + offset; }

  // The incidents this page has shown: any other one appearing is new.
  var seen = new Set();
  openBody.querySelectorAll("tr[data-incident]").forEach(function (tr) { seen.add(tr.getAttribute("data-incident")); });
  var recentVersion = null;

  // ---------------------------------------------------------------- clock and colours

  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  // A time of day on the portal's clock (its TIME_ZONE, as the server renders times), not the browser's zone.
  var clockFormat = null;
  try {
    clockFormat = new Intl.DateTimeFormat("en-GB", {
      timeZone: root.getAttribute("data-time-zone") || undefined,
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"
    });
  } catch (e) { clockFormat = null; }
  function clockText(ms) {
    if (clockFormat) return clockFormat.format(new Date(ms));
    var d = new Date(ms);
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }
  function elapsedText(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    return Math.floor(s / 3600) + ":" + pad(Math.floor(s % 3600 / 60)) + ":" + pad(s % 60);
  }
  var STATUS = {
    ok: ["success", t("ok", "时限内")],
    warn: ["warning", t("warn", "即将超时")],
    late: ["danger", t("late", "已超时")]
  };

  function tick() {
    var now = serverNow();
    openBody.querySelectorAll("tr[data-incident]").forEach(function (tr) {
      var cell = tr.querySelector(".elapsed");
      var reported = Date.parse(tr.getAttribute("data-reported"));
      if (cell && !isNaN(reported)) cell.textContent = elapsedText(now - reported);
      var status = tr.getAttribute("data-status");
      if (status && status.indexOf("arrived") === 0) return; // arrival recorded: its colour is settled
      var deadline = Date.parse(tr.getAttribute("data-deadline"));
      var warn = Date.parse(tr.getAttribute("data-warn"));
      var next = now > deadline ? "late" : now >= warn ? "warn" : "ok";
      if (next !== status) {
        tr.setAttribute("data-status", next);
        tr.className = tr.className.replace(/\bstatus-\S+/, "status-" + next);
        var badge = tr.querySelector(".deadline-badge");
        if (badge) {
          badge.className = "badge deadline-badge text-bg-" + STATUS[next][0];
          badge.textContent = STATUS[next][1];
        }
      }
    });
  }

  // ---------------------------------------------------------------- sound (Web Audio; unlocked by a gesture)

  var AudioCtx = window.AudioContext || window.webkitAudioContext;
  var audio = null;
  function soundOn() { return audio !== null && audio.state === "running"; }
  function beep() {
    if (!soundOn()) return false;
    var t = audio.currentTime;
    for (var i = 0; i < 3; i++) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "square";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, t + i * 0.4);
      gain.gain.exponentialRampToValueAtTime(0.3, t + i * 0.4 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.4 + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start(t + i * 0.4);
      osc.stop(t + i * 0.4 + 0.3);
    }
    return true;
  }
  function showSoundState() {
    if (soundOn()) {
      soundButton.textContent = t("sound_on", "声音提醒已开启");
      soundButton.setAttribute("aria-pressed", "true");
      soundButton.classList.replace("btn-outline-primary", "btn-success");
    } else {
      soundButton.textContent = t("sound_off", "开启声音提醒");
      soundButton.setAttribute("aria-pressed", "false");
      soundButton.classList.replace("btn-success", "btn-outline-primary");
    }
  }
  if (AudioCtx && soundButton) {
    soundButton.hidden = false;
    soundButton.addEventListener("click", function () {
      if (soundOn()) { audio.suspend().then(showSoundState); return; }
      if (audio === null) audio = new AudioCtx();
      audio.resume().then(function () { showSoundState(); beep(); });
    });
  }

  // ---------------------------------------------------------------- the alarm for a new incident

  function raiseAlarm(incidents) {
    var text = incidents.map(function (i) {
      return i.district + " " + i.address + (i.trapped ? t("trapped", "（被困 %(n)s 人）").replace("%(n)s", i.trapped) : "");
    }).join("；");
    alarmText.textContent = text;
    alarm.hidden = false;
    document.title = t("alarm_title", "【新困人事件】") + baseTitle;
    var played = beep();
    alarm.setAttribute("data-sound", played ? "played" : "muted");
  }
  document.getElementById("new-incident-dismiss").addEventListener("click", function () {
    alarm.hidden = true;
    document.title = baseTitle;
    openBody.querySelectorAll("tr.row-new").forEach(function (tr) { tr.classList.remove("row-new"); });
  });

  // ---------------------------------------------------------------- rendering the feed

  function fromHtml(html) {
    var t = document.createElement("tbody");
    t.innerHTML = html.trim();
    return t.firstElementChild;
  }

  function renderOpen(incidents) {
    var existing = {};
    openBody.querySelectorAll("tr[data-incident]").forEach(function (tr) { existing[tr.getAttribute("data-incident")] = tr; });
    var fresh = [];
    var previous = null;
    incidents.forEach(function (inc) {
      var id = String(inc.id);
      var tr = existing[id];
      delete existing[id];
      if (!tr || tr.getAttribute("data-version") !== inc.version) {
        var row = fromHtml(inc.html);
        // Keep the keyboard where it was when the row under it is replaced.
        var focused = tr && tr.contains(document.activeElement);
        if (tr) {
          if (tr.classList.contains("row-new")) row.classList.add("row-new");
          tr.replaceWith(row);
        }
        tr = row;
        if (focused) { var b = tr.querySelector("button, a"); if (b) b.focus(); }
      }
      if (!seen.has(id)) {
        seen.add(id);
        tr.classList.add("row-new");
        fresh.push(inc);
      }
      // Keep the server's order (oldest report first).
      var want = previous ? previous.nextElementSibling : openBody.firstElementChild;
      if (want !== tr) {
        if (previous) previous.after(tr); else openBody.prepend(tr);
      }
      previous = tr;
    });
    Object.keys(existing).forEach(function (id) { existing[id].remove(); });
    openEmpty.hidden = incidents.length > 0;
    openCount.textContent = incidents.length;
    if (fresh.length) raiseAlarm(fresh);
  }

  function renderRecent(incidents) {
    var version = incidents.map(function (i) { return i.id; }).join(",");
    if (version === recentVersion) return;
    recentVersion = version;
    recentBody.innerHTML = incidents.map(function (i) { return i.html; }).join("");
    recentEmpty.hidden = incidents.length > 0;
  }

  function setStatus(text, bad) {
    statusEl.textContent = text;
    statusEl.classList.toggle("text-danger", !!bad);
    statusEl.classList.toggle("fw-semibold", !!bad);
  }

  var polling = false;
  function poll() {
    if (polling) return;
    polling = true;
    var sent = Date.now();
    fetch(feedUrl, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}})
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") === -1) throw new Error("login");
        return response.json();
      })
      .then(function (data) {
        var received = Date.now();
        offset = Date.parse(data.now) - (sent + received) / 2;
        renderOpen(data.open);
        renderRecent(data.recent);
        tick();
        setStatus(t("updated", "更新于") + " " + clockText(serverNow()), false);
      })
      .catch(function (error) {
        setStatus(error.message === "login" ? t("login", "无法获取最新情况，请刷新页面或重新登录。") : t("offline", "网络中断，正在重试……"), true);
      })
      .finally(function () { polling = false; });
  }

  // ---------------------------------------------------------------- one-tap steps without a reload

  function showMessage(text, ok) {
    var div = document.createElement("div");
    div.className = "alert alert-" + (ok ? "success" : "danger") + " alert-dismissible py-2";
    div.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("aria-label", t("close", "关闭"));
    close.addEventListener("click", function () { div.remove(); });
    div.appendChild(close);
    messagesEl.prepend(div);
    while (messagesEl.children.length > 3) messagesEl.lastElementChild.remove();
  }

  openBody.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("act-form") || !window.fetch) return;
    event.preventDefault();
    var button = event.submitter;
    var body = new FormData(form);
    if (button && button.name) body.append(button.name, button.value);
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    fetch(form.getAttribute("action"), {  // form.action would be the buttons named "action"
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {"X-Requested-With": "XMLHttpRequest", "Accept": "application/json"}
    })
      .then(function (response) { return response.json(); })
      .then(function (data) { showMessage(data.message, data.ok); })
      .catch(function () { showMessage(t("failed", "提交失败，请重试。"), false); })
      .finally(function () {
        form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
        poll();
      });
  });

  tick();
  setInterval(tick, 1000);
  setInterval(poll, interval);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
})();
