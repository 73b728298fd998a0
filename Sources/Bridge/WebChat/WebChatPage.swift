/// The built-in web-chat page (`GET /channels/{channel}/chat`): opens a session, keeps its token
/// in the browser's local storage, posts what the user types and shows replies as they stream
/// in. Text is only ever inserted as text (never as HTML).
enum WebChatPage {
    static func html(channel: String) -> String {
        template.replacingOccurrences(of: "{{CHANNEL}}", with: channel)
    }

    private static let template = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>botbridge web chat</title>
    <style>
      body { font: 15px/1.4 system-ui, sans-serif; margin: 0; display: flex; flex-direction: column; height: 100vh; background: #f4f5f7; }
      header { padding: .6em 1em; background: #1f2933; color: #fff; }
      #log { flex: 1; overflow-y: auto; padding: 1em; display: flex; flex-direction: column; gap: .4em; }
      .m { max-width: 75%; padding: .5em .8em; border-radius: 1em; white-space: pre-wrap; word-wrap: break-word; }
      .inbound { align-self: flex-end; background: #2563eb; color: #fff; }
      .outbound { align-self: flex-start; background: #fff; border: 1px solid #d9dde3; }
      .author { font-size: .75em; opacity: .7; }
      .chips button { margin: .3em .3em 0 0; border: 1px solid #2563eb; background: #fff; color: #2563eb; border-radius: 1em; padding: .2em .7em; cursor: pointer; }
      form { display: flex; gap: .5em; padding: .6em; background: #fff; border-top: 1px solid #d9dde3; }
      input { flex: 1; padding: .5em; font: inherit; }
    </style>
    </head>
    <body>
    <header>botbridge web chat · channel <code>{{CHANNEL}}</code></header>
    <div id="log" aria-live="polite"></div>
    <form id="f"><input id="t" autocomplete="off" placeholder="Type a message" maxlength="4096"><button>Send</button></form>
    <script>
    const base = location.pathname.replace(/\/chat$/, "");
    const key = "botbridge:" + base;
    const log = document.getElementById("log");
    let session = JSON.parse(localStorage.getItem(key) || "null");

    async function open() {
      if (session && Date.parse(session.expires_at) > Date.now()) return;
      const r = await fetch(base + "/sessions", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ locale: navigator.language }) });
      session = await r.json();
      localStorage.setItem(key, JSON.stringify(session));
    }

    function show(m) {
      const div = document.createElement("div");
      div.className = "m " + m.direction;
      if (m.direction === "outbound") {
        const who = document.createElement("div");
        who.className = "author";
        who.textContent = m.author;
        div.appendChild(who);
      }
      div.appendChild(document.createTextNode(m.text || ""));
      if (m.media_url) {
        const a = document.createElement("a");
        a.href = m.media_url; a.textContent = " [media]"; a.rel = "noopener"; a.target = "_blank";
        div.appendChild(a);
      }
      if (m.suggestions && m.suggestions.length) {
        const chips = document.createElement("div");
        chips.className = "chips";
        for (const s of m.suggestions) {
          const b = document.createElement("button");
          b.textContent = s.text;
          b.onclick = () => send({ text: s.text, postback: s.postback });
          chips.appendChild(b);
        }
        div.appendChild(chips);
      }
      log.appendChild(div);
      log.scrollTop = log.scrollHeight;
    }

    async function send(body) {
      body.client_message_id = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
      const r = await fetch(base + "/webhook", { method: "POST", headers: { "Content-Type": "application/json", "Authorization": "Bearer " + session.token }, body: JSON.stringify(body) });
      if (r.status === 401) { localStorage.removeItem(key); session = null; await start(); }
    }

    async function start() {
      await open();
      const events = new EventSource(base + "/events?token=" + encodeURIComponent(session.token));
      events.addEventListener("message", e => show(JSON.parse(e.data)));
    }

    document.getElementById("f").onsubmit = e => {
      e.preventDefault();
      const input = document.getElementById("t");
      if (input.value.trim()) send({ text: input.value });
      input.value = "";
    };
    start();
    </script>
    </body>
    </html>
    """#
}
