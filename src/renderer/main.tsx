// Renderer entry: picks the transport, builds the store and actions, renders the shell.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { createPageClient } from './client/index.js';
import { createLumenStore } from './store/index.js';
import { createActions } from './store/actions.js';
import { LumenProvider } from './store/react.js';
import './styles/tokens.css';
import './styles/base.css';
import './styles/layout.css';
import './styles/components.css';
import './styles/connect.css';

const store = createLumenStore();
const page = createPageClient((link) => store.getState().setLink(link));
const actions = createActions(page, store);
void actions.start();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <LumenProvider store={store} actions={actions}>
      <App />
    </LumenProvider>
  </StrictMode>,
);
