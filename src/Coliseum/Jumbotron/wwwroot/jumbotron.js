// The Jumbotron: Coliseum's live dashboard. Plain JavaScript, no dependencies, no build step.
// It reads with a read key only: the query API for series and status, and the Server-Sent Event streams
// (read through fetch, because EventSource cannot send an Authorization header) for the boards, the
// counters and the ticker. Every stream reconnects by itself and resumes with Last-Event-ID.
'use strict';

(() => {
  const KEY_STORE = 'coliseum.jumbotron.readKey';
  const STREAM_SILENCE_MS = 45_000; // three missed heartbeats: the connection is dead even if no error says so
  const TICKER_MAX = 40;
  const TICKER_BACKLOG = 20;
  const MOVE_SHOWN_MS = 12_000;
  const STATUS_EVERY_MS = 5_000;
  const CHARTS_EVERY_MS = 60_000;
  const CHARTS_AFTER_CHANGE_MS = 10_000;

  const params = new URLSearchParams(location.search);
  const root = document.documentElement;
  const $ = (selector, scope = document) => scope.querySelector(selector);

  const state = {
    key: null,
    config: null,
    boardsById: new Map(),
    windowName: 'day',
    limit: 10,
    kiosk: params.get('kiosk') === '1',
    cycleSeconds: 0,
    lagAlertSeconds: 30,
    range: 'hour',
    battle: null,
    boardPairs: [],
    pairIndex: 0,
    currency: null,
    streams: new Set(),
    running: false,
    timers: [],
    chartData: new Map(),
  };

  // ---- formatting -------------------------------------------------------------------------------

  const locale = params.get('locale') || navigator.language || 'en';
  const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const compact = new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 });
  const oneDecimal = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const moneyFormats = new Map();
  const timeFormat = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const hourFormat = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' });
  const shortHour = new Intl.DateTimeFormat(locale, { hour: 'numeric' });
  const dayFormat = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short' });

  function moneyFormat(currency) {
    const code = String(currency || 'usd').toUpperCase();
    if (!moneyFormats.has(code)) {
      let format;
      try {
        format = new Intl.NumberFormat(locale, { style: 'currency', currency: code });
      } catch {
        format = new Intl.NumberFormat(locale, { style: 'currency', currency: 'XXX' });
      }
      moneyFormats.set(code, format);
    }
    return moneyFormats.get(code);
  }

  // Amounts are integer minor units (cents); a currency without them (JPY) is counted in whole units.
  function formatMoney(minor, currency) {
    const format = moneyFormat(currency);
    const digits = format.resolvedOptions().maximumFractionDigits;
    return format.format(minor / 10 ** digits);
  }

  function formatMoneyCompact(minor, currency) {
    const code = String(currency || 'usd').toUpperCase();
    const digits = moneyFormat(code).resolvedOptions().maximumFractionDigits;
    try {
      return new Intl.NumberFormat(locale, { style: 'currency', currency: code, notation: 'compact', maximumFractionDigits: 1 }).format(minor / 10 ** digits);
    } catch {
      return compact.format(minor / 10 ** digits);
    }
  }

  const WINDOW_NAMES = { day: 'Today', week: 'This week', month: 'This month', all_time: 'All time' };

  const CATEGORY_ICONS = {
    player: '▶', concierto: '●', coliseum: '★', social: '♥', treasury: '◆', passport: '✓', mediaid: '♪',
  };

  const TYPE_LABELS = {
    'player.track_played': 'Track played',
    'player.track_liked': 'Track liked',
    'player.track_completed': 'Track played to the end',
    'player.track_added_to_playlist': 'Added to a playlist',
    'player.playlist_created': 'Playlist created',
    'concierto.ticket_purchased': 'Ticket bought',
    'concierto.ticket_refunded': 'Ticket refunded',
    'concierto.checked_in': 'Checked in',
    'concierto.event_attended': 'At the show',
    'concierto.event_viewed': 'Show viewed',
    'concierto.event_created': 'Show announced',
    'concierto.event_rated': 'Show rated',
    'concierto.rsvp_submitted': 'RSVP',
    'concierto.artist_booked': 'Artist booked',
    'coliseum.vote_cast': 'Vote cast',
    'coliseum.vote_retracted': 'Vote withdrawn',
    'coliseum.competition_entered': 'Entered a competition',
    'social.artist_followed': 'New follower',
    'social.artist_unfollowed': 'Unfollowed',
    'social.content_shared': 'Shared',
    'social.comment_posted': 'Comment',
    'treasury.money_spent': 'Purchase',
    'treasury.tip_sent': 'Tip',
    'treasury.subscription_started': 'New subscription',
    'passport.signed_up': 'New fan signed up',
  };

  function typeLabel(type) {
    if (TYPE_LABELS[type]) return TYPE_LABELS[type];
    const name = type.includes('.') ? type.slice(type.indexOf('.') + 1) : type;
    const words = name.replace(/[_-]+/g, ' ').trim();
    return words ? words[0].toUpperCase() + words.slice(1) : type;
  }

  // Fans are people: a fan board shows a display name when the directory has one, else a short tag.
  function entityName(entityType, id, name) {
    if (entityType === 'user' && (!name || name === id)) {
      return 'Fan #' + String(id).slice(-4);
    }
    return name || id;
  }

  function formatScore(info, score) {
    return info && info.currency ? formatMoney(score, info.currency) : integer.format(score);
  }

  // ---- HTTP -------------------------------------------------------------------------------------

  class KeyRefused extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function problemText(response) {
    try {
      const body = await response.json();
      return body.error || body.detail || body.title || response.statusText;
    } catch {
      return response.statusText;
    }
  }

  async function getJson(path, key = state.key) {
    const response = await fetch(path, { headers: { Authorization: 'Bearer ' + key, Accept: 'application/json' }, cache: 'no-store' });
    if (response.status === 401 || response.status === 403) {
      throw new KeyRefused(response.status, await problemText(response));
    }
    if (!response.ok) {
      const error = new Error(await problemText(response));
      error.status = response.status;
      try { error.body = await response.clone().json(); } catch { /* not JSON */ }
      throw error;
    }
    return response.json();
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // ---- Server-Sent Events over fetch ------------------------------------------------------------

  class EventStream {
    constructor(path, handlers) {
      this.path = path;
      this.handlers = handlers;
      this.lastId = null;
      this.up = false;
      this.wasUp = false;
      this.stopped = false;
      this.controller = null;
    }

    start() {
      state.streams.add(this);
      this.run();
      return this;
    }

    stop() {
      this.stopped = true;
      state.streams.delete(this);
      if (this.controller) this.controller.abort();
      updateConnection();
    }

    async run() {
      let delay = 1000;
      while (!this.stopped) {
        const controller = new AbortController();
        this.controller = controller;
        let silence = null;
        const arm = () => {
          clearTimeout(silence);
          silence = setTimeout(() => controller.abort(), STREAM_SILENCE_MS);
        };
        try {
          const headers = { Authorization: 'Bearer ' + state.key, Accept: 'text/event-stream' };
          if (this.lastId !== null) headers['Last-Event-ID'] = this.lastId;
          arm();
          const response = await fetch(this.path, { headers, signal: controller.signal, cache: 'no-store' });
          if (response.status === 401 || response.status === 403) {
            clearTimeout(silence);
            keyRefused(new KeyRefused(response.status, await problemText(response)));
            return;
          }
          if (!response.ok || !response.body) {
            const retryAfter = Number(response.headers.get('Retry-After'));
            if (retryAfter > 0) delay = retryAfter * 1000;
            throw new Error(`${this.path}: ${response.status}`);
          }
          this.setUp(true);
          delay = 1000;
          await this.read(response.body, arm);
        } catch {
          // Refused, reset or silent: all mean the same here: wait, then reconnect.
        } finally {
          clearTimeout(silence);
        }
        if (this.stopped) return;
        this.setUp(false);
        await sleep(delay + Math.random() * 400);
        delay = Math.min(delay * 2, 10_000);
      }
    }

    async read(body, arm) {
      const reader = body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      let event = { type: 'message', data: [], id: null };
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.stopped) return;
        arm();
        buffer += value;
        let newline;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          let line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (line.endsWith('\r')) line = line.slice(0, -1);
          if (line === '') {
            if (event.id !== null) this.lastId = event.id;
            if (event.data.length > 0) this.dispatch(event.type, event.data.join('\n'));
            event = { type: 'message', data: [], id: null };
            continue;
          }
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          let text = colon < 0 ? '' : line.slice(colon + 1);
          if (text.startsWith(' ')) text = text.slice(1);
          if (field === 'event') event.type = text;
          else if (field === 'data') event.data.push(text);
          else if (field === 'id' && !text.includes('\0')) event.id = text;
        }
      }
    }

    dispatch(type, data) {
      const handler = this.handlers[type];
      if (!handler) return;
      let payload;
      try {
        payload = JSON.parse(data);
      } catch {
        return;
      }
      handler(payload);
    }

    setUp(up) {
      if (this.up === up) return;
      this.up = up;
      if (up) this.wasUp = true;
      updateConnection();
    }
  }

  let reconnectedTimer = null;

  // Live while every stream that has connected is still connected; reconnecting once one of them drops.
  // (A stream just opened for another board is not a lost connection, so cycling boards does not flicker.)
  function updateConnection() {
    if (!state.running) return;
    const box = $('#connection');
    const text = $('#connection-text');
    const banner = $('#banner');
    const streams = [...state.streams];
    const lost = streams.some((s) => s.wasUp && !s.up);
    const anyUp = streams.some((s) => s.up);
    if (lost) {
      box.dataset.state = 'reconnecting';
      text.textContent = 'Reconnecting…';
      clearTimeout(reconnectedTimer);
      banner.dataset.kind = 'warn';
      banner.textContent = 'Lost the connection to Coliseum. Reconnecting by itself; the figures shown may be behind.';
      banner.hidden = false;
    } else if (anyUp) {
      box.dataset.state = 'live';
      text.textContent = 'Live';
      if (!banner.hidden && banner.dataset.kind === 'warn') {
        banner.dataset.kind = 'ok';
        banner.textContent = 'Reconnected: showing live data again.';
        clearTimeout(reconnectedTimer);
        reconnectedTimer = setTimeout(() => { banner.hidden = true; }, 4000);
      }
    } else {
      box.dataset.state = 'connecting';
      text.textContent = 'Connecting…';
    }
  }

  // ---- leaderboards -----------------------------------------------------------------------------

  class BoardView {
    constructor(element) {
      this.element = element;
      this.list = $('.rows', element);
      this.title = $('.board-title', element);
      this.select = $('.board-select', element);
      this.windowLabel = $('.board-window', element);
      this.empty = $('.empty', element);
      this.rows = new Map();
      this.stream = null;
      this.boardId = null;
      this.scope = null;
      this.shown = false;
      this.select.addEventListener('change', () => this.show(this.select.value, null));
    }

    fillSelect() {
      this.select.replaceChildren(...state.config.boards.map((board) => new Option(board.title, board.id)));
    }

    show(boardId, scope) {
      if (this.stream) this.stream.stop();
      this.boardId = boardId;
      this.scope = scope;
      this.rows = new Map();
      this.shown = false;
      this.list.replaceChildren();
      this.empty.hidden = true;
      const info = state.boardsById.get(boardId);
      this.element.dataset.board = boardId;
      this.title.textContent = info ? info.title : boardId;
      this.select.value = boardId;
      this.windowLabel.textContent = WINDOW_NAMES[state.windowName] || state.windowName;
      const query = new URLSearchParams({ window: state.windowName, limit: String(state.limit) });
      if (scope) query.set('scope', scope);
      this.stream = new EventStream(`/api/coliseum/stream/leaderboards/${encodeURIComponent(boardId)}?${query}`, {
        leaderboard: (view) => this.render(view),
      }).start();
    }

    render(view) {
      const info = state.boardsById.get(view.leaderboardId);
      const before = new Map();
      for (const [id, row] of this.rows) before.set(id, row.element.getBoundingClientRect().top);
      const top = view.entries.reduce((max, entry) => Math.max(max, entry.score), 1);
      const now = Date.now();
      const next = new Map();
      const ordered = [];
      for (const entry of view.entries) {
        const previous = this.rows.get(entry.entity_id);
        const row = previous || this.createRow(entry.entity_id);
        if (previous) {
          if (previous.rank !== entry.rank) {
            row.move = previous.rank > entry.rank ? { kind: 'up', by: previous.rank - entry.rank, until: now + MOVE_SHOWN_MS }
              : { kind: 'down', by: entry.rank - previous.rank, until: now + MOVE_SHOWN_MS };
          }
          if (previous.score !== entry.score) this.flash(row.element);
        } else if (this.shown) {
          row.move = { kind: 'new', by: 0, until: now + MOVE_SHOWN_MS };
          this.flash(row.element);
        }
        row.rank = entry.rank;
        row.score = entry.score;
        row.element.dataset.rank = String(entry.rank);
        row.rankCell.textContent = String(entry.rank);
        row.nameCell.textContent = entityName(info ? info.entityType : '', entry.entity_id, entry.entity_name);
        row.nameCell.title = row.nameCell.textContent;
        row.scoreCell.textContent = formatScore(info, entry.score);
        row.bar.style.transform = `scaleX(${Math.max(0.02, entry.score / top)})`;
        this.paintMove(row, now);
        next.set(entry.entity_id, row);
        ordered.push(row.element);
      }
      this.list.replaceChildren(...ordered);
      // FLIP: each row that moved starts where it was and slides to its new place.
      const moved = [];
      for (const [id, row] of next) {
        const was = before.get(id);
        if (was === undefined) continue;
        const delta = was - row.element.getBoundingClientRect().top;
        if (Math.abs(delta) < 1) continue;
        row.element.style.transition = 'none';
        row.element.style.transform = `translateY(${delta}px)`;
        moved.push(row.element);
      }
      if (moved.length > 0) {
        void this.list.offsetHeight;
        requestAnimationFrame(() => {
          for (const element of moved) {
            element.style.transition = 'transform 700ms cubic-bezier(0.2, 0.8, 0.2, 1)';
            element.style.transform = '';
          }
        });
      }
      this.rows = next;
      this.shown = true;
      this.empty.hidden = view.entries.length > 0;
    }

    createRow(entityId) {
      const element = document.createElement('li');
      element.className = 'row';
      element.dataset.entityId = entityId;
      const rankCell = document.createElement('span');
      rankCell.className = 'rank';
      const moveCell = document.createElement('span');
      moveCell.className = 'move';
      const nameCell = document.createElement('span');
      nameCell.className = 'name';
      const scoreCell = document.createElement('span');
      scoreCell.className = 'score';
      const bar = document.createElement('span');
      bar.className = 'bar';
      element.append(rankCell, moveCell, nameCell, scoreCell, bar);
      return { element, rankCell, moveCell, nameCell, scoreCell, bar, rank: 0, score: 0, move: null };
    }

    paintMove(row, now) {
      const move = row.move && row.move.until > now ? row.move : null;
      row.moveCell.className = 'move' + (move ? ' ' + move.kind : '');
      row.moveCell.textContent = !move ? '' : move.kind === 'new' ? 'NEW' : `${move.kind === 'up' ? '▲' : '▼'}${move.by}`;
      row.moveCell.setAttribute('aria-label', !move ? '' : move.kind === 'new' ? 'new entry' : `${move.kind} ${move.by}`);
    }

    tick(now) {
      for (const row of this.rows.values()) {
        if (row.move && row.move.until <= now) {
          row.move = null;
          this.paintMove(row, now);
        }
      }
    }

    flash(element) {
      element.classList.remove('flash');
      void element.offsetWidth;
      element.classList.add('flash');
    }

    stop() {
      if (this.stream) this.stream.stop();
      this.stream = null;
    }
  }

  const boardViews = [new BoardView($('#board-0')), new BoardView($('#board-1'))];

  function showPair(index) {
    const pair = state.boardPairs[index % state.boardPairs.length];
    state.pairIndex = index % state.boardPairs.length;
    boardViews[0].show(pair[0], null);
    if (pair[1]) {
      $('#board-1').hidden = false;
      $('#boards').classList.remove('single');
      boardViews[1].show(pair[1], null);
    } else {
      boardViews[1].stop();
      $('#board-1').hidden = true;
      $('#boards').classList.add('single');
    }
  }

  // ---- counters ---------------------------------------------------------------------------------

  function setCounter(id, text) {
    const output = $(id);
    if (output.textContent === text) return;
    const first = output.textContent === '–';
    output.textContent = text;
    if (!first) {
      output.classList.add('bumped');
      setTimeout(() => output.classList.remove('bumped'), 60);
    }
  }

  let chartsRefreshQueued = false;

  function renderCounters(counters) {
    setCounter('#counter-plays', integer.format(counters.plays));
    $('#counter-listening').textContent = `${oneDecimal.format(counters.listeningSeconds / 3600)} hours listened`;
    setCounter('#counter-attendance', integer.format(counters.attendance));
    setCounter('#counter-votes', integer.format(counters.votes));
    setCounter('#counter-fans', integer.format(counters.newFollowers));
    $('#counter-signups').textContent = `follows · ${integer.format(counters.signUps)} sign-ups`;
    const money = [...counters.moneySpent].sort((a, b) => b.cents - a.cents);
    if (money.length === 0) {
      setCounter('#counter-money', formatMoney(0, state.currency || 'usd'));
      $('#counter-money-more').textContent = 'no payments yet today';
    } else {
      setCounter('#counter-money', formatMoney(money[0].cents, money[0].currency));
      const others = money.slice(1, 3).map((m) => formatMoney(m.cents, m.currency));
      const more = money.length > 3 ? ` +${money.length - 3} more` : '';
      const payments = money.reduce((sum, m) => sum + m.payments, 0);
      $('#counter-money-more').textContent = others.length > 0 ? others.join(' · ') + more : `${integer.format(payments)} payments`;
      if (!state.currency) state.currency = money[0].currency;
    }
    $('#health-rate').textContent = oneDecimal.format(counters.eventsPerSecond);
    if (!chartsRefreshQueued) {
      chartsRefreshQueued = true;
      later(() => { chartsRefreshQueued = false; loadCharts(); }, CHARTS_AFTER_CHANGE_MS);
    }
  }

  // ---- charts (hand-drawn SVG: a few paths, sized to the element, so they stay sharp at any resolution) ----

  const CHARTS = {
    plays: { metric: 'player.track_played', value: 'count' },
    votes: { metric: 'coliseum.votes', value: 'sum' },
    attendance: { metric: 'concierto.event_attended', value: 'count' },
    money: { metric: 'treasury.money_spent', value: 'sum', money: true },
  };

  async function loadCharts() {
    if (!state.running) return;
    await Promise.all(Object.entries(CHARTS).map(async ([name, chart]) => {
      const query = new URLSearchParams({ bucket: state.range });
      if (chart.money && state.currency) query.set('currency', state.currency);
      const path = `/api/coliseum/metrics/${chart.metric}/series?${query}`;
      try {
        let series;
        try {
          series = await getJson(path);
        } catch (error) {
          // A money metric without a currency answers 400 listing the recorded currencies: take the first.
          if (chart.money && error.status === 400 && error.body && Array.isArray(error.body.valid) && error.body.valid.length > 0) {
            state.currency = error.body.valid[0];
            query.set('currency', state.currency);
            series = await getJson(`/api/coliseum/metrics/${chart.metric}/series?${query}`);
          } else {
            throw error;
          }
        }
        state.chartData.set(name, { series, chart });
      } catch (error) {
        if (error instanceof KeyRefused) { keyRefused(error); return; }
        state.chartData.set(name, { series: null, chart, reason: error.status === 404 || error.status === 400 ? 'No data yet' : 'Unavailable' });
      }
      drawChart(name);
    }));
  }

  const SVG = 'http://www.w3.org/2000/svg';

  function svgElement(tag, attributes) {
    const element = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
    return element;
  }

  // The top of a chart's scale: a round number whose half is round too (in whole units once above 10).
  function niceCeiling(value) {
    if (value <= 0) return 1;
    const power = 10 ** Math.floor(Math.log10(value));
    const steps = power >= 10 ? [1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10] : [1, 2, 4, 5, 10];
    for (const step of steps) {
      if (value <= step * power) return step * power;
    }
    return 10 * power;
  }

  function drawChart(name) {
    const figure = $(`.chart[data-chart="${name}"]`);
    const svg = $('svg', figure);
    const caption = $('figcaption', figure);
    const entry = state.chartData.get(name);
    const width = Math.round(svg.clientWidth);
    const height = Math.round(svg.clientHeight);
    if (!entry || width < 40 || height < 40) return;
    const label = { plays: 'Plays', votes: 'Votes', attendance: 'Attendance', money: 'Money spent' }[name];
    const { series, chart } = entry;
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    const fontSize = Math.max(11, parseFloat(getComputedStyle(document.body).fontSize) * 0.8);
    const children = [];
    if (!series) {
      caption.replaceChildren(label);
      children.push(svgElement('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'axis', 'font-size': fontSize }));
      children[0].textContent = entry.reason;
      svg.replaceChildren(...children);
      return;
    }
    const currency = series.currency;
    const format = (v) => (chart.money ? formatMoneyCompact(v, currency) : compact.format(v));
    const values = series.points.map((p) => p[chart.value]);
    const total = values.reduce((a, b) => a + b, 0);
    const strong = document.createElement('b');
    strong.textContent = chart.money ? formatMoney(total, currency) : integer.format(total);
    caption.replaceChildren(label, strong);
    // Counts get at least 0-1-2; money at least a hundred in its currency.
    const floor = chart.money ? 100 * 10 ** moneyFormat(currency).resolvedOptions().maximumFractionDigits : 2;
    const max = niceCeiling(Math.max(...values, floor));
    const min = Math.min(0, ...values);
    const left = fontSize * 3.4;
    const right = fontSize * 0.6;
    const topPad = fontSize * 0.6;
    const bottom = fontSize * 1.6;
    const plotWidth = width - left - right;
    const plotHeight = height - topPad - bottom;
    const x = (i) => left + (values.length <= 1 ? plotWidth : (i * plotWidth) / (values.length - 1));
    const y = (v) => topPad + plotHeight - ((v - min) / (max - min || 1)) * plotHeight;
    for (const tick of [min, (max + min) / 2, max]) {
      children.push(svgElement('line', { x1: left, x2: width - right, y1: y(tick), y2: y(tick), class: 'grid' }));
      const text = svgElement('text', { x: left - fontSize * 0.4, y: y(tick) + fontSize * 0.35, 'text-anchor': 'end', class: 'axis', 'font-size': fontSize });
      text.textContent = format(tick);
      children.push(text);
    }
    // As many time labels as fit without touching, on round hours or days, counted back from the newest.
    const hourly = series.bucket === 'hour';
    const labelWidth = fontSize * (hourly ? 3.2 : 4.2);
    const slot = values.length <= 1 ? plotWidth : plotWidth / (values.length - 1);
    const every = (hourly ? [1, 2, 3, 4, 6, 8, 12, 24] : [1, 2, 5, 7, 14, 30]).find((n) => n * slot >= labelWidth * 1.3) || values.length;
    series.points.forEach((point, i) => {
      if ((values.length - 1 - i) % every !== 0) return;
      const at = x(i);
      const anchor = at + labelWidth / 2 > width ? 'end' : at - labelWidth / 2 < left ? 'start' : 'middle';
      const text = svgElement('text', { x: at, y: height - fontSize * 0.3, 'text-anchor': anchor, class: 'axis', 'font-size': fontSize });
      const date = new Date(point.bucketStart);
      text.textContent = hourly ? shortHour.format(date) : dayFormat.format(date);
      children.push(text);
    });
    if (values.length > 0) {
      const line = values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('');
      children.push(svgElement('path', { d: `${line}L${x(values.length - 1).toFixed(1)},${y(min).toFixed(1)}L${x(0).toFixed(1)},${y(min).toFixed(1)}Z`, class: 'area' }));
      children.push(svgElement('path', { d: line, class: 'line', 'stroke-width': Math.max(2, fontSize * 0.18).toFixed(1) }));
      children.push(svgElement('circle', { cx: x(values.length - 1), cy: y(values[values.length - 1]), r: fontSize * 0.35, class: 'last' }));
    }
    svg.setAttribute('aria-label', `${label}: ${strong.textContent} over the ${hourly ? 'last 24 hours' : 'last 30 days'}`);
    svg.replaceChildren(...children);
  }

  let redrawQueued = false;
  const resizeObserver = new ResizeObserver(() => {
    if (redrawQueued) return;
    redrawQueued = true;
    requestAnimationFrame(() => {
      redrawQueued = false;
      for (const name of Object.keys(CHARTS)) drawChart(name);
    });
  });
  document.querySelectorAll('.chart svg').forEach((svg) => resizeObserver.observe(svg));

  for (const tab of document.querySelectorAll('.tabs button')) {
    tab.addEventListener('click', () => {
      state.range = tab.dataset.range;
      for (const other of document.querySelectorAll('.tabs button')) other.setAttribute('aria-selected', String(other === tab));
      loadCharts();
    });
  }

  // ---- ticker -----------------------------------------------------------------------------------

  // The backlog the ticker opens with (up to its `ready` event) appears at once; new arrivals slide in.
  let tickerCaughtUp = false;

  function addTickerEntry(entry) {
    const list = $('#ticker');
    const item = document.createElement('li');
    item.dataset.type = entry.type;
    if (tickerCaughtUp) item.className = 'arrive';
    const icon = document.createElement('span');
    icon.className = 'icon';
    icon.setAttribute('aria-hidden', 'true');
    icon.textContent = CATEGORY_ICONS[entry.category] || '•';
    const text = document.createElement('span');
    const what = document.createElement('div');
    what.className = 'what';
    what.textContent = typeLabel(entry.type);
    const who = document.createElement('div');
    who.className = 'who';
    const order = ['track', 'artist', 'event', 'city', 'playlist'];
    const entities = [...(entry.entities || [])].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
    // A bare id (a track nobody has named in the entity directory) means nothing on a big screen: named
    // entities are shown, and ids only when nothing has a name. All ids stay on the item for tooling.
    const named = entities.filter((e) => e.name && e.name !== e.id);
    who.textContent = (named.length > 0 ? named.map((e) => e.name) : entities.map((e) => e.id)).join(' · ') || '\u00a0';
    item.dataset.entities = entities.map((e) => e.id).join(' ');
    text.append(what, who);
    const when = document.createElement('time');
    when.className = 'when';
    when.dateTime = entry.occurredAt;
    when.textContent = timeFormat.format(new Date(entry.occurredAt));
    item.append(icon, text, when);
    list.prepend(item);
    while (list.children.length > TICKER_MAX) list.lastElementChild.remove();
    $('#ticker-empty').hidden = true;
  }

  // ---- health -----------------------------------------------------------------------------------

  async function loadStatus() {
    if (!state.running) return;
    let status;
    try {
      status = await getJson('/api/coliseum/status');
    } catch (error) {
      if (error instanceof KeyRefused) keyRefused(error);
      return;
    }
    const health = $('#health');
    const consumers = $('#health-consumers');
    let dead = 0;
    const behind = [];
    consumers.replaceChildren(...status.consumers.map((consumer) => {
      dead += consumer.deadLetters;
      const item = document.createElement('span');
      item.className = 'consumer';
      item.dataset.consumer = consumer.name;
      const value = document.createElement('b');
      value.textContent = consumer.lag === 0 ? 'up to date' : `${integer.format(consumer.lag)} behind (${oneDecimal.format(consumer.lagSeconds)} s)`;
      item.append(`${consumer.name} `, value);
      if (consumer.lagSeconds > state.lagAlertSeconds) {
        item.classList.add('behind');
        behind.push(`${consumer.name} ${integer.format(Math.round(consumer.lagSeconds))} s`);
      }
      return item;
    }));
    $('#health-dead').textContent = integer.format(dead);
    const message = $('#health-message');
    if (behind.length > 0) {
      health.dataset.state = 'alert';
      message.textContent = `Processing is behind (${behind.join(', ')})`;
    } else if (dead > 0) {
      health.dataset.state = 'warn';
      message.textContent = `${integer.format(dead)} event${dead === 1 ? '' : 's'} could not be processed`;
    } else {
      health.dataset.state = 'ok';
      message.textContent = '';
    }
  }

  // ---- the key ----------------------------------------------------------------------------------

  function askForKey(message) {
    const dialog = $('#key-dialog');
    $('#key-error').textContent = message || '';
    dialog.hidden = false;
    $('#key-input').value = '';
    $('#key-input').focus();
  }

  function keyRefused(error) {
    if (!state.running) return;
    stopAll();
    try { localStorage.removeItem(KEY_STORE); } catch { /* storage disabled */ }
    state.key = null;
    askForKey(error.status === 403
      ? `This key cannot read analytics (${error.message}). Use a read key.`
      : `The key was refused (${error.message}); it may have been revoked.`);
  }

  // Checks a key with the server before keeping it; an admin key is never kept.
  async function tryKey(key, remember) {
    let config;
    try {
      config = await getJson('/api/jumbotron/config', key);
    } catch (error) {
      if (error instanceof KeyRefused) {
        askForKey(error.status === 403 ? 'That is a write key; the Jumbotron needs a read key.' : 'That key is not valid.');
      } else {
        askForKey(`Coliseum did not answer (${error.message}). Check the server and try again.`);
      }
      return false;
    }
    if (config.role !== 'read') {
      askForKey(`That is ${config.role === 'admin' ? 'an admin' : 'a ' + config.role} key. A screen must not hold one: use a read key.`);
      return false;
    }
    state.key = key;
    if (remember) {
      try { localStorage.setItem(KEY_STORE, key); } catch { /* storage disabled: the key lives for this page only */ }
    }
    $('#key-dialog').hidden = true;
    start(config);
    return true;
  }

  $('#key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('#key-input').value.trim();
    if (key) tryKey(key, true);
  });

  $('#key-button').addEventListener('click', () => {
    stopAll();
    try { localStorage.removeItem(KEY_STORE); } catch { /* storage disabled */ }
    askForKey('');
  });

  // ---- start and stop ---------------------------------------------------------------------------

  function later(fn, ms) {
    const timer = setTimeout(fn, ms);
    state.timers.push({ clear: () => clearTimeout(timer) });
  }

  function every(fn, ms) {
    const timer = setInterval(fn, ms);
    state.timers.push({ clear: () => clearInterval(timer) });
  }

  function stopAll() {
    state.running = false;
    for (const stream of [...state.streams]) stream.stop();
    for (const timer of state.timers) timer.clear();
    state.timers = [];
    $('#connection').dataset.state = 'offline';
    $('#connection-text').textContent = 'Not connected';
  }

  function chunk(list, size) {
    const pairs = [];
    for (let i = 0; i < list.length; i += size) pairs.push(list.slice(i, i + size));
    return pairs;
  }

  async function start(config) {
    state.config = config;
    state.boardsById = new Map(config.boards.map((board) => [board.id, board]));
    state.windowName = ['all_time', 'day', 'week', 'month'].includes(params.get('window')) ? params.get('window') : config.window;
    const limit = Number(params.get('limit'));
    state.limit = Number.isInteger(limit) && limit >= 3 && limit <= 25 ? limit : config.limit;
    const cycle = Number(params.get('cycle'));
    state.cycleSeconds = params.has('cycle') && Number.isFinite(cycle) && cycle >= 0 ? cycle : config.cycleSeconds;
    const lag = Number(params.get('lagAlert'));
    state.lagAlertSeconds = lag > 0 ? lag : config.lagAlertSeconds;
    state.running = true;
    $('#window-select').value = state.windowName;
    root.style.setProperty('--limit', String(state.limit));
    boardViews.forEach((view) => view.fillSelect());

    const battleBoard = params.get('board');
    if (battleBoard && state.boardsById.has(battleBoard)) {
      state.battle = { board: battleBoard, scope: params.get('scope') };
      $('#boards').classList.add('single');
      $('#board-1').hidden = true;
      boardViews[0].show(battleBoard, state.battle.scope);
      const info = state.boardsById.get(battleBoard);
      if (state.battle.scope && info.scope) {
        $('#subtitle').textContent = 'Battle';
        getJson(`/api/coliseum/entities/${encodeURIComponent(info.scope)}/${encodeURIComponent(state.battle.scope)}`)
          .then((entity) => { $('#subtitle').textContent = `Battle · ${entity.name}`; })
          .catch(() => { $('#subtitle').textContent = `Battle · ${state.battle.scope}`; });
      }
    } else {
      const asked = (params.get('boards') || '').split(',').map((b) => b.trim()).filter((b) => state.boardsById.has(b));
      const first = asked.length > 0 ? asked.slice(0, 2) : config.defaultBoards;
      let sequence = asked.length > 2 ? asked : [...first, ...config.boards.map((b) => b.id).filter((id) => !first.includes(id))];
      state.boardPairs = state.kiosk && state.cycleSeconds > 0 ? chunk(sequence, 2) : [first];
      showPair(0);
      if (state.kiosk && state.cycleSeconds > 0 && state.boardPairs.length > 1) {
        every(() => showPair(state.pairIndex + 1), state.cycleSeconds * 1000);
      }
    }

    // The counters now (and the log head, so the ticker can open with the last few events).
    let head = null;
    try {
      const counters = await getJson('/api/coliseum/counters');
      renderCounters(counters);
      head = counters.head;
    } catch (error) {
      if (error instanceof KeyRefused) { keyRefused(error); return; }
    }
    if (!state.running) return;
    new EventStream('/api/coliseum/stream/counters', { counters: renderCounters }).start();
    const from = head === null ? 'head' : String(Math.max(0, head - TICKER_BACKLOG));
    tickerCaughtUp = false;
    new EventStream(`/api/coliseum/stream/ticker?from=${from}`, { entry: addTickerEntry, ready: () => { tickerCaughtUp = true; } }).start();
    updateConnection();
    loadCharts();
    loadStatus();
    every(loadCharts, CHARTS_EVERY_MS);
    every(loadStatus, STATUS_EVERY_MS);
    every(() => {
      const now = Date.now();
      boardViews.forEach((view) => view.tick(now));
    }, 1000);
  }

  $('#window-select').addEventListener('change', () => {
    state.windowName = $('#window-select').value;
    for (const view of boardViews) {
      if (view.boardId && !$('#' + view.element.id).hidden) view.show(view.boardId, view.scope);
    }
  });

  $('#fullscreen-button').addEventListener('click', () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else root.requestFullscreen().catch(() => { /* refused: stays windowed */ });
  });

  function clock() {
    $('#clock').textContent = hourFormat.format(new Date());
  }
  clock();
  setInterval(clock, 1000);

  // ---- boot -------------------------------------------------------------------------------------

  if (params.get('theme') === 'light') root.dataset.theme = 'light';
  if (state.kiosk) {
    document.body.classList.add('kiosk');
    // Browsers allow full screen only after a gesture: the first touch or key press on a kiosk takes it.
    const enter = () => { if (!document.fullscreenElement) root.requestFullscreen().catch(() => {}); };
    window.addEventListener('pointerdown', enter, { once: true });
    window.addEventListener('keydown', enter, { once: true });
  }

  // A key in the URL (a kiosk's address) is taken once and dropped from the address bar.
  const urlKey = params.get('key');
  if (urlKey !== null) {
    params.delete('key');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
  }
  let stored = null;
  try { stored = localStorage.getItem(KEY_STORE); } catch { /* storage disabled */ }
  if (urlKey) tryKey(urlKey, true);
  else if (stored) tryKey(stored, false);
  else askForKey('');
})();
