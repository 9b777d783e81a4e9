import { type JSX, render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { getApiKey, setApiKey } from './api.js';
import { useHashRoute } from './hooks.js';
import { ModelPage, ModelsPage } from './models.js';
import { MonitoringPage } from './monitoring.js';
import { ComparePage, RunPage, RunsPage } from './runs.js';
import './styles.css';

const NAV = [
  { href: '#/runs', label: 'Runs', match: ['/runs', '/compare'] },
  { href: '#/models', label: 'Models', match: ['/models'] },
  { href: '#/monitoring', label: 'Monitoring', match: ['/monitoring'] },
];

function ApiKeyForm() {
  const [value, setValue] = useState(getApiKey() ?? '');
  const [saved, setSaved] = useState(false);
  return (
    <form
      class="apikey"
      onSubmit={(e) => {
        e.preventDefault();
        setApiKey(value.trim());
        setSaved(true);
        dispatchEvent(new HashChangeEvent('hashchange'));
      }}
    >
      <label>
        API key
        <input
          type="password"
          autocomplete="off"
          value={value}
          onInput={(e) => {
            setValue((e.target as HTMLInputElement).value);
            setSaved(false);
          }}
        />
      </label>
      <button type="submit">Use key</button>
      <span role="status">{saved ? 'Key saved for this tab.' : ''}</span>
    </form>
  );
}

function App() {
  const { path, query } = useHashRoute();
  const main = useRef<HTMLElement>(null);
  const authOn = document.body.dataset.auth === 'on';
  const title = document.body.dataset.title ?? 'mlops dashboard';
  // Moves focus to the new page's content after navigation, so keyboard and screen-reader users land on it.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [path]);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let page: JSX.Element;
  if (parts[0] === 'runs' && parts[1]) page = <RunPage id={parts[1]} />;
  else if (parts[0] === 'compare') page = <ComparePage query={query} />;
  else if (parts[0] === 'models' && parts[1]) page = <ModelPage name={parts[1]} />;
  else if (parts[0] === 'models') page = <ModelsPage />;
  else if (parts[0] === 'monitoring') page = <MonitoringPage query={query} />;
  else page = <RunsPage query={query} />;
  return (
    <>
      <button type="button" class="skip" onClick={() => main.current?.focus()}>
        Skip to content
      </button>
      <header>
        <span class="brand">{title}</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => {
              const current = n.match.some((m) => path.startsWith(m));
              return (
                <li key={n.href}>
                  <a href={n.href} aria-current={current ? 'page' : undefined}>
                    {n.label}
                  </a>
                </li>
              );
            })}
          </ul>
        </nav>
        {authOn ? <ApiKeyForm /> : null}
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
