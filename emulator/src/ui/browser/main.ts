import { list, str, watch, type Obj } from './api.js';
import { AccountView } from './account.js';
import { FaultsView } from './faults.js';
import { OverviewView } from './overview.js';
import { VerdictsView } from './verdicts.js';
import { VerificationsView } from './verifications.js';

/** How often the live views ask again (the polls stay out of the request log: see api.ts). */
const POLL_MS = 1500;
const VIEWS = ['overview', 'verdicts', 'verifications', 'account', 'faults'] as const;
type View = (typeof VIEWS)[number];

const overview = new OverviewView();
const verifications = new VerificationsView();
let findings: Obj[] = [];
const verdicts = new VerdictsView(
  (requestId) => {
    location.hash = '#overview';
    if (!overview.reveal(requestId)) alert(`request ${requestId} is no longer in the request log (it keeps the last calls only)`);
  },
  () => void poll(),
);
const account = new AccountView({
  verificationOf: (fileId) => verifications.statusOf(fileId),
  findingsAbout: (id) => findings.filter((f) => str(f['entityId']).toLowerCase() === id.toLowerCase()),
});
const faults = new FaultsView();

function currentView(): View {
  const name = location.hash.replace(/^#/, '');
  return (VIEWS as readonly string[]).includes(name) ? (name as View) : 'overview';
}

/** Tabs are links to #view: the back button and keyboard work as on any page. */
function showView(): void {
  const view = currentView();
  for (const name of VIEWS) {
    document.getElementById(`view-${name}`)!.hidden = name !== view;
    document.getElementById(`tab-${name}`)!.setAttribute('aria-selected', String(name === view));
  }
  if (view === 'verdicts' || view === 'verifications') void poll();
  if (view === 'account') void account.load();
  if (view === 'faults') void faults.load();
}

/** Arrow keys move between tabs, as the ARIA tabs pattern expects. */
document.querySelector('[role=tablist]')!.addEventListener('keydown', (event) => {
  const key = (event as KeyboardEvent).key;
  if (key !== 'ArrowRight' && key !== 'ArrowLeft') return;
  const at = VIEWS.indexOf(currentView());
  const next = VIEWS[(at + (key === 'ArrowRight' ? 1 : VIEWS.length - 1)) % VIEWS.length]!;
  location.hash = `#${next}`;
  document.getElementById(`tab-${next}`)!.focus();
});

const HEAVY_EVERY = 7;
let heavyPolls = 0;
let polling = false;
async function poll(): Promise<void> {
  if (polling) return;
  polling = true;
  const health = document.getElementById('health')!;
  try {
    // /health answers 503 with a body while storage is down: show it rather than fail.
    const healthBody = await fetch('/_emulator/health', { headers: { 'X-AMS-Emulator-Watch': 'dashboard' } }).then((r) => r.json() as Promise<Obj>);
    // Findings and verifications grow with the account (one verification per file): read them on
    // every poll only while a view shows them, else every HEAVY_EVERY polls.
    const heavy = heavyPolls++ % HEAVY_EVERY === 0 || ['verdicts', 'verifications', 'account'].includes(currentView());
    const [summary, requests, findingsBody, verificationsBody] = await Promise.all([
      watch('summary'),
      watch('requests'),
      heavy ? watch('findings') : Promise.resolve(undefined),
      heavy ? watch('verifications') : Promise.resolve(undefined),
    ]);
    health.textContent = str(healthBody['status']);
    health.className = `pill ${healthBody['status'] === 'healthy' ? 'ok' : 'bad'}`;
    document.getElementById('mode')!.textContent = `${healthBody['strict'] === true ? 'strict' : 'compat'} · auth ${str(healthBody['auth'])}`;
    document.getElementById('updated')!.textContent = `updated ${new Date().toLocaleTimeString()}`;
    overview.render(healthBody, summary, requests, str(summary['location']));
    if (findingsBody && verificationsBody) {
      findings = list(findingsBody['findings']);
      verdicts.render(findingsBody, verificationsBody);
      verifications.render(verificationsBody);
    }
  } catch (err) {
    console.error(err); // for whoever watches the console (the browser test does)
    health.textContent = 'unreachable';
    health.className = 'pill bad';
    document.getElementById('updated')!.textContent = (err as Error).message;
  } finally {
    polling = false;
  }
}

addEventListener('hashchange', showView);
showView();
void poll();
setInterval(() => void poll(), POLL_MS);
