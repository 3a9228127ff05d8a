// reprint's HTML report: draws every view from the JSON data block of this file.
// Article text only ever enters the page through textContent (el() and append() below), never as
// markup, and the page's Content-Security-Policy forbids any other script and any network access.
(function () {
  'use strict';

  const data = JSON.parse(document.getElementById('reprint-data').textContent);
  const docs = data.docs;
  const clusters = data.clusters;
  const byId = new Map(docs.map((d, i) => [d.id, i]));
  const app = document.getElementById('app');
  const panel = document.getElementById('panel');
  const root = document.documentElement;

  // Light, distinct backgrounds for partner articles; dark text stays readable on all of them.
  const PALETTE = ['#ffd966', '#9fc5e8', '#b6d7a8', '#f4a6a6', '#d5a6bd', '#f9cb9c',
    '#a2d9d9', '#c9c0f0', '#e2d58b', '#ffb3d9', '#b0c4de', '#d9c3a5'];
  const REASONS = {
    separator: 'a separator or stray mark',
    cue: 'site furniture (teaser, widget, ad, newsletter or share buttons)',
    related_headlines: 'headlines of related stories',
    repeated: 'the same short block twice in this article',
    menu: 'a navigation menu or tag list',
    template: 'the same block in several stories: the outlet\u2019s template',
  };

  // ---------- small helpers ----------

  /** An element with properties and children; strings become text nodes, never markup. */
  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'style') Object.assign(e.style, v);
        else if (k === 'dataset') Object.assign(e.dataset, v);
        else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, String(v));
      }
    }
    append(e, children);
    return e;
  }

  /** Replace an element's children. */
  function fill(parent, ...children) {
    parent.replaceChildren();
    return append(parent, children);
  }

  function append(parent, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      parent.append(c instanceof Node ? c : String(c));
    }
    return parent;
  }

  /** A link to a view of this report. */
  function href(view, params) {
    const p = new URLSearchParams(Object.assign({ view }, params || {}));
    return '#' + p.toString();
  }

  function link(view, params, ...children) {
    return el('a', { href: href(view, params) }, ...children);
  }

  function outletOf(i) {
    const d = docs[i];
    return d.outlet === null || d.outlet === undefined ? d.id : d.outlet;
  }

  const headlines = new Map();
  /** The first non-blank line of an article, cut to a readable length. */
  function headline(i) {
    let h = headlines.get(i);
    if (h === undefined) {
      const text = docs[i].text;
      const m = /\S[^\n]*/.exec(text.length > 2000 ? text.slice(0, 2000) : text);
      h = m ? clip(m[0].trim(), 110) : '';
      headlines.set(i, h);
    }
    return h;
  }

  function clip(s, n) {
    return s.length > n ? s.slice(0, n - 1) + '\u2026' : s;
  }

  function pct(x) {
    return x === null || x === undefined ? '\u2013' : Math.round(x * 100) + '%';
  }

  function plural(n, one, many) {
    return n + ' ' + (n === 1 ? one : (many || one + 's'));
  }

  function kb(n) {
    return n < 1000 ? n + ' B' : (n / 1000).toFixed(n < 10000 ? 1 : 0) + ' kB';
  }

  function originality(b) {
    const content = b.shared + b.unique;
    return content === 0 ? null : b.unique / content;
  }

  function sumBytes(indices) {
    const t = { shared: 0, unique: 0, boilerplate: 0 };
    for (const i of indices) {
      const b = docs[i].bytes;
      t.shared += b.shared; t.unique += b.unique; t.boilerplate += b.boilerplate;
    }
    return t;
  }

  /** A stacked bar: unique, shared and boilerplate bytes. */
  function composition(b) {
    const total = b.shared + b.unique + b.boilerplate || 1;
    const w = (n) => (100 * n / total).toFixed(2) + '%';
    return el('span', {
      class: 'comp',
      title: `unique ${b.unique} B, shared ${b.shared} B, boilerplate ${b.boilerplate} B`,
    },
    el('span', { class: 'u', style: { width: w(b.unique) } }),
    el('span', { class: 's', style: { width: w(b.shared) } }),
    el('span', { class: 'b', style: { width: w(b.boilerplate) } }));
  }

  function chip(colour) {
    return el('span', { class: 'chip', style: { background: colour } });
  }

  function dateRange(indices) {
    const dates = indices.map((i) => docs[i].date).filter((d) => d).sort();
    if (dates.length === 0) return '';
    const a = dates[0].slice(0, 10);
    const b = dates[dates.length - 1].slice(0, 10);
    return a === b ? a : a + ' \u2013 ' + b;
  }

  function docLabel(i) {
    const d = docs[i];
    return d.outlet ? `${d.outlet} \u00b7 ${d.id}` : d.id;
  }

  /** A table of `rows` shown `size` at a time, redrawn in place when the page changes. */
  function paged(rows, size, header, row, empty) {
    const wrap = el('div', { class: 'paged' });
    let page = 0;
    const pages = Math.max(1, Math.ceil(rows.length / size));
    function draw() {
      const body = el('tbody');
      for (const r of rows.slice(page * size, (page + 1) * size)) body.append(row(r));
      const pager = pages > 1 ? el('div', { class: 'pager' },
        el('button', { type: 'button', disabled: page === 0 ? 'disabled' : null, onclick: () => { page -= 1; draw(); } }, '\u2039 previous'),
        `page ${page + 1} of ${pages} (${rows.length} in all)`,
        el('button', { type: 'button', disabled: page + 1 >= pages ? 'disabled' : null, onclick: () => { page += 1; draw(); } }, 'next \u203a')) : null;
      fill(wrap,
        rows.length === 0 ? el('p', { class: 'note' }, empty) :
          el('table', { class: 'list' }, el('thead', null, el('tr', null, header)), body),
        pager);
    }
    draw();
    return wrap;
  }

  function num(text) {
    return el('td', { class: 'num' }, text);
  }

  /** A search box that calls `onchange` with its text, a little after typing stops. */
  function searchBox(placeholder, value, onchange) {
    let timer = null;
    return el('input', {
      type: 'search', placeholder, value: value || '',
      oninput: (ev) => {
        clearTimeout(timer);
        const v = ev.target.value;
        timer = setTimeout(() => onchange(v), 150);
      },
    });
  }

  /** Remember a view's state in the address, without redrawing. */
  function remember(view, params) {
    const clean = {};
    for (const [k, v] of Object.entries(params)) if (v) clean[k] = v;
    history.replaceState(null, '', href(view, clean));
  }

  // ---------- passages ----------

  /** Passages of `list` (sorted, disjoint) that overlap [s, e). */
  function overlapping(list, s, e) {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].end <= s) lo = mid + 1; else hi = mid;
    }
    const out = [];
    for (let k = lo; k < list.length && list[k].start < Math.max(e, s + 1); k++) out.push(k);
    return out;
  }

  /**
   * An article's text from passage `from` to passage `to` (inclusive) with each passage in a
   * span; `decorate(span, passage, index)` colours it.
   */
  function passageText(i, from, to, decorate) {
    const d = docs[i];
    const ps = d.passages;
    const pre = el('div', { class: 'text', dataset: { doc: String(i) } });
    if (ps.length === 0) {
      pre.append(d.text);
      return pre;
    }
    let at = from === 0 ? 0 : ps[from].start;
    for (let k = from; k <= to; k++) {
      const p = ps[k];
      if (p.start > at) pre.append(d.text.slice(at, p.start));
      const span = el('span', {
        class: 'passage ' + p.status,
        dataset: { index: String(k), doc: String(i) },
      }, d.text.slice(p.start, p.end));
      decorate(span, p, k);
      pre.append(span);
      at = p.end;
    }
    if (to === ps.length - 1 && at < d.text.length) pre.append(d.text.slice(at));
    return pre;
  }

  /** A whole article with shared passages coloured by their best partner. */
  function articleText(i, colourOf) {
    const ps = docs[i].passages;
    return passageText(i, 0, ps.length - 1, (span, p) => {
      if (p.status === 'shared' && p.partners && p.partners.length) {
        const best = p.partners[0][0];
        span.style.background = colourOf(best);
        span.tabIndex = 0;
        span.title = `shared with ${plural(p.partners.length, 'article')}; click to pin`;
        if (p.partners.length > 1) span.append(el('sup', { class: 'more' }, '+' + (p.partners.length - 1)));
      } else if (p.status === 'boilerplate') {
        span.title = 'boilerplate: ' + (REASONS[p.reason] || p.reason || '');
      }
    });
  }

  /** Colours for the partners of the articles in `indices`, most shared bytes first. */
  function partnerColours(indices, preferred) {
    const shared = new Map();
    for (const i of indices) {
      for (const p of docs[i].passages) {
        for (const [j] of p.partners || []) {
          shared.set(j, (shared.get(j) || 0) + (p.end - p.start));
        }
      }
    }
    const order = (preferred || []).concat(
      [...shared.keys()].filter((j) => !(preferred || []).includes(j))
        .sort((a, b) => shared.get(b) - shared.get(a) || a - b));
    const colours = new Map(order.map((j, k) => [j, PALETTE[k % PALETTE.length]]));
    return { colourOf: (j) => colours.get(j) || '#ddd', order, shared };
  }

  // ---------- the side panel: a passage and where else it is found ----------

  let pinned = null;
  // The colours of the view on screen, so the panel names partners in the same colours.
  let panelColour = () => '#ddd';

  function showPassage(span, pin) {
    if (pinned && !pin) return;
    const i = Number(span.dataset.doc);
    const k = Number(span.dataset.index);
    const d = docs[i];
    const p = d.passages[k];
    if (pin) {
      if (pinned) pinned.classList.remove('active');
      pinned = span;
      span.classList.add('active');
    }
    const body = [
      el('button', { type: 'button', class: 'close', onclick: closePanel, title: 'close (Esc)' }, '\u00d7'),
      el('h4', null, `${p.status} passage of ${docLabel(i)}`),
      el('div', { class: 'note' }, `bytes ${p.byte_start}\u2013${p.byte_end}` +
        (p.reason ? ' \u00b7 ' + (REASONS[p.reason] || p.reason) : '')),
      el('blockquote', null, clip(d.text.slice(p.start, p.end), 1200)),
    ];
    const partners = p.partners || [];
    if (partners.length) body.push(el('h4', null, 'Also carried by ' + plural(partners.length, 'article')));
    for (const [j, s, e, sim] of partners) {
      const o = docs[j];
      body.push(el('div', { class: 'partner' },
        el('div', null, chip(panelColour(j)),
          el('strong', null, outletOf(j)), ' ', o.date ? `(${o.date.slice(0, 10)}) ` : '',
          el('span', { class: 'note' }, (o.outlet ? o.id + ' \u00b7 ' : '') + `similarity ${sim.toFixed(2)}`)),
        el('blockquote', null, clip(o.text.slice(s, e), 1200)),
        el('div', null, link('doc', { id: o.id }, 'open article'), ' \u00b7 ',
          link('compare', { a: d.id, b: o.id }, 'side by side'))));
    }
    if (p.status === 'unique') body.push(el('p', { class: 'note' }, 'Found in no other article of this report.'));
    panel.replaceChildren(...body);
    panel.hidden = false;
    panel.classList.toggle('pinned', !!pinned);
  }

  /** Unpin; in views with passages the panel stays, with a hint, so the text never reflows. */
  function closePanel() {
    if (pinned) pinned.classList.remove('active');
    pinned = null;
    panel.classList.remove('pinned');
    if (document.body.classList.contains('with-panel')) {
      fill(panel, el('h4', null, 'Passages'),
        el('p', { class: 'note' }, 'Hover a highlighted passage to see where else it appears, in the other article\u2019s own words; click it to keep it here.'),
        el('p', { class: 'note' }, 'Boilerplate, greyed, is site furniture: hover it for the reason.'));
    } else {
      panel.hidden = true;
    }
  }

  /** Give the panel its own column for this view. */
  function openPanel() {
    document.body.classList.add('with-panel');
    panel.hidden = false;
    closePanel();
  }

  /** Hovering a passage shows it in the panel; clicking pins it there. */
  function watchPassages(container) {
    openPanel();
    container.addEventListener('mouseover', (ev) => {
      const span = ev.target.closest && ev.target.closest('.passage.shared, .passage.boilerplate');
      if (span && container.contains(span)) showPassage(span, false);
    });
    container.addEventListener('focusin', (ev) => {
      if (ev.target.matches && ev.target.matches('.passage.shared')) showPassage(ev.target, false);
    });
    const toggle = (span) => {
      if (pinned === span) closePanel(); else showPassage(span, true);
    };
    container.addEventListener('click', (ev) => {
      const span = ev.target.closest && ev.target.closest('.passage');
      if (span && container.contains(span) && span.dataset.doc !== undefined) toggle(span);
    });
    container.addEventListener('keydown', (ev) => {
      if ((ev.key === 'Enter' || ev.key === ' ') && ev.target.matches && ev.target.matches('.passage.shared')) {
        ev.preventDefault();
        toggle(ev.target);
      }
    });
  }

  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') closePanel();
  });

  // ---------- article cards ----------

  function articleHead(i, colour) {
    const d = docs[i];
    return el('div', { class: 'head' },
      colour ? chip(colour) : null,
      d.outlet ? el('span', { class: 'outlet' }, d.outlet) : null,
      link('doc', { id: d.id }, d.id),
      d.date ? el('span', { class: 'meta' }, d.date) : null,
      el('span', { class: 'meta' }, 'originality ' + pct(d.originality)),
      composition(d.bytes),
      d.copy_of !== null && d.copy_of !== undefined
        ? el('span', { class: 'meta' }, 'near-duplicate of ', link('doc', { id: docs[d.copy_of].id }, docs[d.copy_of].id))
        : null);
  }

  function articleCard(i, colour, colourOf) {
    return el('article', { class: 'article', dataset: { id: docs[i].id } },
      articleHead(i, colour), articleText(i, colourOf));
  }

  function legend(entries) {
    return el('div', { class: 'legend' }, entries.map(([colour, label, cls]) =>
      el('span', null, el('span', { class: 'sample ' + (cls || ''), style: colour ? { background: colour } : null }, label))));
  }

  const STATUS_LEGEND = [
    [null, 'unique: this outlet\u2019s own text', 'passage unique'],
    [null, 'boilerplate: site furniture', 'passage boilerplate'],
  ];

  // ---------- views ----------

  function viewStories(params) {
    const multi = clusters.filter((c) => c.docs.length > 1).length;
    let query = params.get('q') || '';
    let order = params.get('sort') || 'size';
    const holder = el('div');
    function rowsFor() {
      const q = query.toLowerCase();
      let rows = clusters.filter((c) => !q || c.docs.some((i) =>
        docs[i].id.toLowerCase().includes(q) || outletOf(i).toLowerCase().includes(q) ||
        headline(i).toLowerCase().includes(q)));
      rows = rows.slice();
      if (order === 'size') rows.sort((a, b) => b.docs.length - a.docs.length || a.id - b.id);
      else if (order === 'date') rows.sort((a, b) => (dateRange(a.docs) || '\uffff').localeCompare(dateRange(b.docs) || '\uffff') || a.id - b.id);
      return rows;
    }
    function draw() {
      remember('stories', { q: query, sort: order === 'size' ? '' : order });
      holder.replaceChildren(paged(rowsFor(), 50,
        [el('th', null, 'story'), el('th', { class: 'num' }, 'articles'), el('th', { class: 'num' }, 'outlets'),
          el('th', null, 'dates'), el('th', null, 'first published by'), el('th', { class: 'num' }, 'originality'),
          el('th', null, 'unique / shared / boilerplate'), el('th', null, 'headline of its first article')],
        (c) => {
          const b = sumBytes(c.docs);
          return el('tr', { class: 'clickable', dataset: { story: String(c.id) }, onclick: () => { location.hash = href('story', { id: c.id }); } },
            el('td', { class: 'nowrap' }, link('story', { id: c.id }, 'Story ' + c.id)),
            num(c.docs.length), num(c.outlets), el('td', { class: 'nowrap' }, dateRange(c.docs)),
            el('td', null, c.first !== null && c.first !== undefined ? outletOf(c.first) : ''),
            num(pct(originality(b))), el('td', null, composition(b)),
            el('td', { class: 'headline' }, headline(c.docs[0])));
        }, 'No story matches.'));
    }
    app.append(
      el('h2', null, 'Stories'),
      el('p', { class: 'facts' }, `${plural(clusters.length, 'story', 'stories')}, ${multi} with more than one article. ` +
        'A story groups articles that report one event, however reworded. Originality is unique bytes over unique and shared bytes.'),
      el('div', { class: 'controls' },
        searchBox('find stories by outlet, id or headline', query, (v) => { query = v; draw(); }),
        el('label', null, 'order ', el('select', { onchange: (ev) => { order = ev.target.value; draw(); } },
          el('option', { value: 'size', selected: order === 'size' ? 'selected' : null }, 'most articles first'),
          el('option', { value: 'date', selected: order === 'date' ? 'selected' : null }, 'earliest first'),
          el('option', { value: 'input', selected: order === 'input' ? 'selected' : null }, 'input order')))),
      holder,
      el('details', { class: 'params' }, el('summary', null, 'Parameters of this run'),
        el('pre', null, JSON.stringify(data.params, null, 2))));
    draw();
  }

  function viewStory(params) {
    const c = clusters[Number(params.get('id'))];
    if (!c) return notFound('There is no story ' + params.get('id') + '.');
    const members = c.docs;
    const { colourOf } = partnerColours(members, members);
    panelColour = colourOf;
    app.append(
      el('p', null, link('stories', null, '\u2190 all stories')),
      el('h2', null, `Story ${c.id}: ${headline(members[0])}`),
      el('p', { class: 'facts' }, `${plural(members.length, 'article')} from ${plural(c.outlets, 'outlet')}`,
        dateRange(members) ? ' \u00b7 ' + dateRange(members) : '',
        c.first !== null && c.first !== undefined ? [' \u00b7 first published by ', link('doc', { id: docs[c.first].id }, outletOf(c.first))] : ''));
    if (members.length > 1) {
      app.append(comparePicker(members, members[0], members[1]));
      if (members.length <= 16) app.append(storyMatrix(members, colourOf));
    }
    app.append(legend(members.slice(0, 12).map((i) => [colourOf(i), outletOf(i)]).concat(STATUS_LEGEND)),
      el('p', { class: 'note' }, 'A shared passage takes the colour of the article that carries it most closely; hover it to see that article\u2019s wording, click to pin it.'));
    const list = el('div');
    watchPassages(list);
    app.append(list);
    let shown = 0;
    const more = el('button', { type: 'button' });
    function showMore() {
      const next = members.slice(shown, shown + 20);
      for (const i of next) list.append(articleCard(i, colourOf(i), colourOf));
      shown += next.length;
      more.textContent = `show ${Math.min(20, members.length - shown)} more of ${members.length - shown} articles`;
      more.hidden = shown >= members.length;
    }
    more.addEventListener('click', showMore);
    app.append(more);
    showMore();
  }

  /** Who carries whose text inside one story: bytes of the row's passages the column carries. */
  function storyMatrix(members, colourOf) {
    const shared = new Map();
    for (const i of members) {
      for (const p of docs[i].passages) {
        const seen = new Set();
        for (const [j] of p.partners || []) {
          if (seen.has(j)) continue;
          seen.add(j);
          const key = i + ':' + j;
          shared.set(key, (shared.get(key) || 0) + (p.end - p.start));
        }
      }
    }
    const table = el('table', { class: 'matrix' },
      el('tr', null, el('th'), members.map((j) => el('th', { class: 'col', title: docLabel(j) }, chip(colourOf(j)), outletOf(j)))),
      members.map((i) => el('tr', null,
        el('th', { class: 'row', title: docLabel(i) }, chip(colourOf(i)), outletOf(i)),
        members.map((j) => {
          const n = shared.get(i + ':' + j) || 0;
          const content = docs[i].bytes.shared + docs[i].bytes.unique || 1;
          const share = n / content;
          return el('td', {
            class: 'cell',
            title: i === j ? '' : `${kb(n)} of ${outletOf(i)}\u2019s text is also carried by ${outletOf(j)} (${pct(share)})`,
            style: n ? { background: heat(share) } : null,
          }, i === j || !n ? '' : link('compare', { a: docs[i].id, b: docs[j].id }, pct(share)));
        }))));
    return el('div', null, el('h3', null, 'Who carries whose text'),
      el('p', { class: 'note' }, 'Each cell: the share of the row article\u2019s own text (unique and shared) that the column article also carries. Click a cell to read the two side by side.'),
      table);
  }

  function heat(share) {
    const l = 96 - Math.min(1, share) * 52;
    return `hsl(38, 90%, ${l}%)`;
  }

  function comparePicker(members, a, b) {
    const pick = (value) => el('select', null, members.map((i) =>
      el('option', { value: docs[i].id, selected: i === value ? 'selected' : null }, clip(docLabel(i), 70))));
    const sa = pick(a);
    const sb = pick(b);
    return el('div', { class: 'controls' }, 'Read two articles side by side: ', sa, sb,
      el('button', { type: 'button', onclick: () => { location.hash = href('compare', { a: sa.value, b: sb.value }); } }, 'side by side'));
  }

  function viewDoc(params) {
    const i = byId.get(params.get('id'));
    if (i === undefined) return notFound('There is no article ' + params.get('id') + '.');
    const d = docs[i];
    const members = clusters[d.cluster] ? clusters[d.cluster].docs : [i];
    const { colourOf, order, shared } = partnerColours([i]);
    panelColour = colourOf;
    app.append(el('p', null, link('story', { id: d.cluster }, `\u2190 story ${d.cluster} (${plural(members.length, 'article')})`)));
    app.append(el('h2', null, headline(i)));
    if (order.length) {
      app.append(el('h3', null, 'Shares text with'),
        el('table', { class: 'list' },
          el('thead', null, el('tr', null, el('th', null, 'article'), el('th', null, 'date'), el('th', { class: 'num' }, 'of this article\u2019s text'), el('th'))),
          el('tbody', null, order.map((j) => el('tr', null,
            el('td', null, chip(colourOf(j)), link('doc', { id: docs[j].id }, docLabel(j))),
            el('td', null, docs[j].date || ''),
            num(`${kb(shared.get(j))} (${pct(shared.get(j) / (d.bytes.shared + d.bytes.unique || 1))})`),
            el('td', null, link('compare', { a: d.id, b: docs[j].id }, 'side by side')))))));
    } else {
      app.append(el('p', { class: 'facts' }, 'No passage of this article is found in another.'));
    }
    app.append(legend(order.slice(0, 12).map((j) => [colourOf(j), 'shared with ' + outletOf(j)]).concat(STATUS_LEGEND)));
    const card = articleCard(i, null, colourOf);
    watchPassages(card);
    app.append(card);
  }

  /**
   * Two articles side by side with their shared passages aligned. Matches are passage pairs
   * (either article naming the other as partner). The longest chain of matches in reading order
   * on both sides (weighted by length) becomes aligned rows; what lies between them fills rows
   * of its own; matches out of that order are numbered, and clicking one shows its twin.
   */
  function viewCompare(params) {
    const a = byId.get(params.get('a'));
    const b = byId.get(params.get('b'));
    if (a === undefined || b === undefined) return notFound('Pick two articles of this report.');
    const A = docs[a].passages;
    const B = docs[b].passages;
    const edges = new Map();
    function add(i, j, sim) {
      const key = i * B.length + j;
      edges.set(key, Math.max(edges.get(key) || 0, sim));
    }
    A.forEach((p, i) => (p.partners || []).forEach(([d, s, e, sim]) => {
      if (d === b) for (const j of overlapping(B, s, e)) add(i, j, sim);
    }));
    B.forEach((p, j) => (p.partners || []).forEach(([d, s, e, sim]) => {
      if (d === a) for (const i of overlapping(A, s, e)) add(i, j, sim);
    }));
    const list = [...edges.keys()].map((key) => ({ i: Math.floor(key / B.length), j: key % B.length }))
      .sort((x, y) => x.i - y.i || x.j - y.j);
    // Heaviest chain with i and j both non-decreasing (quadratic, on a bounded number of matches).
    const n = Math.min(list.length, 4000);
    const best = new Array(n).fill(0);
    const prev = new Array(n).fill(-1);
    for (let k = 0; k < n; k++) {
      const w = (A[list[k].i].end - A[list[k].i].start) + (B[list[k].j].end - B[list[k].j].start);
      best[k] = w;
      for (let m = 0; m < k; m++) {
        if (list[m].j <= list[k].j && best[m] + w > best[k]) { best[k] = best[m] + w; prev[k] = m; }
      }
    }
    let end = -1;
    for (let k = 0; k < n; k++) if (end < 0 || best[k] > best[end]) end = k;
    const chain = [];
    for (let k = end; k >= 0; k = prev[k]) chain.push(list[k]);
    chain.reverse();
    // Consecutive chain links that share a passage form one aligned block.
    const blocks = [];
    for (const e of chain) {
      const last = blocks[blocks.length - 1];
      if (last && (e.i === last.i1 || e.j === last.j1)) { last.i1 = e.i; last.j1 = e.j; } else blocks.push({ i0: e.i, i1: e.i, j0: e.j, j1: e.j });
    }
    const inChain = new Set(chain.map((e) => e.i * B.length + e.j));
    const twinsA = new Map();
    const twinsB = new Map();
    const labelA = new Map();
    const labelB = new Map();
    let crossing = 0;
    for (const e of list) {
      (twinsA.get(e.i) || twinsA.set(e.i, []).get(e.i)).push(e.j);
      (twinsB.get(e.j) || twinsB.set(e.j, []).get(e.j)).push(e.i);
      if (!inChain.has(e.i * B.length + e.j)) {
        crossing += 1;
        (labelA.get(e.i) || labelA.set(e.i, []).get(e.i)).push(crossing);
        (labelB.get(e.j) || labelB.set(e.j, []).get(e.j)).push(crossing);
      }
    }
    const alignedA = new Set();
    const alignedB = new Set();
    for (const e of chain) { alignedA.add(e.i); alignedB.add(e.j); }

    function side(doc, from, to, aligned, twins, labels, otherDoc) {
      if (from > to) return el('div', { class: 'cell empty' });
      return el('div', { class: 'cell' + (aligned.size && aligned.has(from) ? ' aligned' : '') },
        passageText(doc, from, to, (span, p, k) => {
          if (aligned.has(k)) span.classList.add('aligned');
          else if (twins.has(k)) span.classList.add('crossing');
          else if (p.status === 'shared') span.classList.add('other');
          if (twins.has(k)) span.dataset.twins = twins.get(k).join(' ');
          span.dataset.other = String(otherDoc);
          for (const n of labels.get(k) || []) span.append(el('sup', { class: 'badge', title: 'match ' + n + ', out of order' }, String(n)));
        }));
    }

    const grid = el('div', { class: 'side' },
      el('div', { class: 'colhead' }, articleHead(a, null)),
      el('div', { class: 'colhead' }, articleHead(b, null)));
    let ia = 0;
    let ib = 0;
    let row = 0;
    function gap(i1, j1) {
      if (ia <= i1 || ib <= j1) {
        grid.append(side(a, ia, i1, alignedA, twinsA, labelA, b), side(b, ib, j1, alignedB, twinsB, labelB, a));
      }
    }
    for (const blk of blocks) {
      gap(blk.i0 - 1, blk.j0 - 1);
      row += 1;
      const left = side(a, blk.i0, blk.i1, alignedA, twinsA, labelA, b);
      const right = side(b, blk.j0, blk.j1, alignedB, twinsB, labelB, a);
      left.classList.add('aligned'); right.classList.add('aligned');
      left.dataset.row = right.dataset.row = String(row);
      grid.append(left, right);
      ia = blk.i1 + 1;
      ib = blk.j1 + 1;
    }
    gap(A.length - 1, B.length - 1);

    grid.addEventListener('click', (ev) => {
      const span = ev.target.closest && ev.target.closest('.passage');
      if (!span || !span.dataset.twins) return;
      const other = span.dataset.other;
      const twins = span.dataset.twins.split(' ');
      const target = grid.querySelector(`.passage[data-doc="${other}"][data-index="${twins[0]}"]`);
      if (target) {
        target.scrollIntoView({ block: 'center', behavior: 'smooth' });
        target.classList.remove('flash');
        void target.offsetWidth;
        target.classList.add('flash');
      }
    });

    const sharedWith = (x, y) => {
      let n = 0;
      for (const p of docs[x].passages) if ((p.partners || []).some(([d]) => d === y)) n += p.end - p.start;
      return n;
    };
    const ab = sharedWith(a, b);
    const ba = sharedWith(b, a);
    const da = docs[a].date;
    const db = docs[b].date;
    const first = da && db && da !== db ? (da < db ? outletOf(a) : outletOf(b)) + ' published first.' : '';
    const members = clusters[docs[a].cluster] ? clusters[docs[a].cluster].docs : [a];
    app.append(
      el('p', null, link('story', { id: docs[a].cluster }, '\u2190 story ' + docs[a].cluster), ' \u00b7 ',
        link('compare', { a: docs[b].id, b: docs[a].id }, 'swap sides')),
      el('h2', null, `${outletOf(a)} and ${outletOf(b)}, side by side`),
      el('p', { class: 'facts' },
        `${kb(ab)} of the left article\u2019s text (${pct(ab / (docs[a].bytes.shared + docs[a].bytes.unique || 1))}) is carried by the right one; `,
        `${kb(ba)} of the right one\u2019s (${pct(ba / (docs[b].bytes.shared + docs[b].bytes.unique || 1))}) by the left. `,
        `${plural(chain.length, 'match', 'matches')} in reading order, ${crossing} out of order. ${first}`),
      members.length > 1 && docs[a].cluster === docs[b].cluster ? comparePicker(members, a, b) : null,
      legend([['var(--aligned)', 'shared, in the same order'], ['var(--crossing)', 'shared, out of order (click to find its twin)'],
        [null, 'shared with other articles only', 'passage shared other']].concat(STATUS_LEGEND)),
      grid);
    grid.dataset.rows = String(row);
  }

  function viewDocs(params) {
    let query = params.get('q') || '';
    const holder = el('div');
    const all = docs.map((_, i) => i);
    function draw() {
      remember('docs', { q: query });
      const q = query.toLowerCase();
      const rows = q ? all.filter((i) => docs[i].id.toLowerCase().includes(q) || outletOf(i).toLowerCase().includes(q) ||
        (docs[i].date || '').includes(q) || headline(i).toLowerCase().includes(q)) : all;
      holder.replaceChildren(paged(rows, 100,
        [el('th', null, 'article'), el('th', null, 'outlet'), el('th', null, 'date'), el('th', null, 'story'),
          el('th', { class: 'num' }, 'originality'), el('th', null, 'unique / shared / boilerplate'), el('th', null, 'near-duplicate of'), el('th', null, 'headline')],
        (i) => {
          const d = docs[i];
          return el('tr', { class: 'clickable', dataset: { id: d.id }, onclick: (ev) => { if (!ev.target.closest('a')) location.hash = href('doc', { id: d.id }); } },
            el('td', null, link('doc', { id: d.id }, d.id)), el('td', null, d.outlet || ''), el('td', null, d.date || ''),
            el('td', null, link('story', { id: d.cluster }, String(d.cluster))), num(pct(d.originality)),
            el('td', null, composition(d.bytes)),
            el('td', null, d.copy_of !== null && d.copy_of !== undefined ? docs[d.copy_of].id : ''),
            el('td', { class: 'headline' }, headline(i)));
        }, 'No article matches.'));
    }
    app.append(el('h2', null, 'Articles'),
      el('p', { class: 'facts' }, `${plural(docs.length, 'article')}, in input order.`),
      el('div', { class: 'controls' }, searchBox('find articles by id, outlet, date or headline', query, (v) => { query = v; draw(); })),
      holder);
    draw();
  }

  function viewOutlets(params) {
    const outlets = data.outlets;
    let order = params.get('sort') || 'originality';
    const bars = el('div');
    function draw() {
      remember('outlets', { sort: order === 'originality' ? '' : order });
      const rows = outlets.slice();
      const cmp = {
        originality: (x, y) => (y.originality ?? -1) - (x.originality ?? -1),
        documents: (x, y) => y.documents - x.documents,
        shared: (x, y) => y.bytes.shared - x.bytes.shared,
        name: () => 0,
      }[order] || (() => 0);
      rows.sort((x, y) => cmp(x, y) || x.outlet.localeCompare(y.outlet));
      const shown = rows.slice(0, 60);
      fill(bars, el('div', { class: 'bars', role: 'img', 'aria-label': 'originality per outlet' },
        el('span', { class: 'hdr' }, 'outlet'), el('span', { class: 'hdr' }, 'articles'), el('span', { class: 'hdr' }, 'originality (unique \u00f7 unique + shared)'), el('span', { class: 'hdr' }, 'bytes by label'),
        shown.map((o) => [
          el('span', { class: 'name', title: o.outlet }, link('docs', { q: o.outlet }, o.outlet)),
          el('span', { class: 'num' }, String(o.documents)),
          el('span', { class: 'bar', title: `${o.outlet}: originality ${pct(o.originality)}` },
            el('span', { style: { width: ((o.originality ?? 0) * 100).toFixed(1) + '%' } }), el('em', null, pct(o.originality))),
          composition(o.bytes)])),
      rows.length > shown.length ? el('p', { class: 'note' }, `The first 60 of ${rows.length} outlets in this order; the JSON report lists all.`) : null);
    }
    app.append(el('h2', null, 'Outlets'),
      el('h3', null, 'How original each outlet is'),
      el('div', { class: 'controls' }, el('label', null, 'order ', el('select', { onchange: (ev) => { order = ev.target.value; draw(); } },
        ['originality', 'documents', 'shared', 'name'].map((o) => el('option', { value: o, selected: o === order ? 'selected' : null },
          { originality: 'most original first', documents: 'most articles first', shared: 'most shared text first', name: 'by name' }[o]))))),
      bars);
    draw();
    app.append(reuseHeatMap(), firstTable());
  }

  /** Outlet × outlet: the share of the row outlet's text that the column outlet also carries. */
  function reuseHeatMap() {
    const reuse = data.reuse;
    const section = el('div', null, el('h3', null, 'Who carries whose text'));
    if (reuse.length === 0) return append(section, [el('p', { class: 'facts' }, 'No passage is shared between outlets.')]);
    const weight = new Map();
    for (const r of reuse) {
      weight.set(r.outlet, (weight.get(r.outlet) || 0) + r.bytes);
      weight.set(r.with, (weight.get(r.with) || 0) + r.bytes);
    }
    const LIMIT = 30;
    const names = [...weight.keys()].sort((x, y) => weight.get(y) - weight.get(x) || x.localeCompare(y)).slice(0, LIMIT).sort((x, y) => x.localeCompare(y));
    const content = new Map(data.outlets.map((o) => [o.outlet, o.bytes.shared + o.bytes.unique]));
    const cell = new Map(reuse.map((r) => [r.outlet + '\u0000' + r.with, r]));
    const table = el('table', { class: 'matrix heatmap' },
      el('tr', null, el('th', { class: 'row' }, 'text of \u2193 carried by \u2192'), names.map((c) => el('th', { class: 'col', title: c }, c))),
      names.map((r) => el('tr', null, el('th', { class: 'row', title: r }, link('docs', { q: r }, r)), names.map((c) => {
        const e = cell.get(r + '\u0000' + c);
        if (!e) return el('td', { class: 'cell' });
        const share = e.bytes / (content.get(r) || 1);
        return el('td', {
          class: 'cell', style: { background: heat(share) },
          title: `${kb(e.bytes)} of ${r}\u2019s text (${pct(share)}) in ${plural(e.passages, 'passage')} is also carried by ${c}` +
            (e.earlier + e.later ? `; ${r} was first in ${e.earlier} of ${e.earlier + e.later}` : ''),
        }, pct(share));
      }))));
    return append(section, [
      el('p', { class: 'note' }, 'Each cell: the share of the row outlet\u2019s own text (unique and shared bytes) found, in close wording, in the column outlet\u2019s articles. Darker is more.' +
        (weight.size > LIMIT ? ` The ${LIMIT} outlets with most shared text of ${weight.size}.` : '')),
      table]);
  }

  function firstTable() {
    const dated = data.reuse.filter((r) => r.earlier + r.later > 0 && r.outlet < r.with)
      .sort((x, y) => (y.earlier + y.later) - (x.earlier + x.later) || x.outlet.localeCompare(y.outlet));
    const section = el('div', null, el('h3', null, 'Who published first'));
    if (dated.length === 0) return append(section, [el('p', { class: 'facts' }, 'No shared passage has dates on both sides.')]);
    return append(section, [
      el('p', { class: 'note' }, 'For each pair of outlets, the passages they share where both articles are dated: which outlet had it first.'),
      paged(dated, 50,
        [el('th', null, 'outlets'), el('th', null, 'first to publish'), el('th', { class: 'num' }, 'passages with both dates')],
        (r) => {
          const n = r.earlier + r.later;
          const lead = r.earlier === r.later ? `even: each first in ${r.earlier}`
            : r.earlier > r.later ? `${r.outlet}, in ${r.earlier} of ${n}` : `${r.with}, in ${r.later} of ${n}`;
          return el('tr', null, el('td', null, `${r.outlet} \u2194 ${r.with}`), el('td', null, lead), num(n));
        }, '')]);
  }

  function viewSkipped() {
    app.append(el('h2', null, 'Skipped input'),
      el('p', { class: 'facts' }, data.skipped.length ? `${plural(data.skipped.length, 'record')} could not be used; each with its reason.` : 'Every input record was used.'),
      data.skipped.length ? paged(data.skipped, 100, [el('th', null, 'where'), el('th', null, 'id'), el('th', null, 'reason')],
        (s) => el('tr', null, el('td', null, s.source), el('td', null, s.id || ''), el('td', null, s.reason)), '') : null);
  }

  function notFound(message) {
    app.append(el('p', { class: 'error' }, message), el('p', null, link('stories', null, 'all stories')));
  }

  const VIEWS = { stories: viewStories, story: viewStory, doc: viewDoc, compare: viewCompare, docs: viewDocs, outlets: viewOutlets, skipped: viewSkipped };
  const NAV = [['stories', 'Stories'], ['docs', 'Articles'], ['outlets', 'Outlets'], ['skipped', 'Skipped']];

  function render() {
    document.body.classList.remove('with-panel');
    closePanel();
    root.dataset.ready = '';
    const params = new URLSearchParams(location.hash.slice(1));
    const view = VIEWS[params.get('view')] ? params.get('view') : 'stories';
    app.replaceChildren();
    try {
      VIEWS[view](params);
    } catch (err) {
      app.append(el('p', { class: 'error' }, 'This view could not be drawn: ' + err.message));
    }
    for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('current', a.dataset.view === view);
    root.dataset.view = view;
    root.dataset.ready = '1';
  }

  const multi = clusters.filter((c) => c.docs.length > 1).length;
  const outletCount = data.outlets.length;
  document.getElementById('nav').replaceChildren(...NAV.map(([v, label]) =>
    el('a', { href: href(v), dataset: { view: v } }, label + (v === 'skipped' ? ` (${data.skipped.length})` : ''))));
  document.getElementById('summary').textContent =
    `${plural(docs.length, 'article')} from ${plural(outletCount, 'outlet')} in ${plural(clusters.length, 'story', 'stories')} ` +
    `(${multi} with more than one article), ${data.skipped.length} skipped \u00b7 reprint ${data.version}`;
  window.addEventListener('hashchange', () => { render(); window.scrollTo(0, 0); });
  render();
}());
