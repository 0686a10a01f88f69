// Ctrl/Cmd+K: switch context or view by typing; arrow keys move, Enter runs, Escape closes.
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { Actions } from '../store/actions.js';
import { useActions, useLumen } from '../store/react.js';
import { buildCommands, filterCommands, type CommandAction } from './commands.js';
import { Icon } from './Icon.js';

function run(action: CommandAction, actions: Actions): void {
  switch (action.type) {
    case 'connect':
      void actions.connect(action.context);
      break;
    case 'navigate':
      actions.navigate(action.route);
      break;
    case 'disconnect':
      void actions.disconnect();
      break;
    case 'reload-kubeconfig':
      void actions.reloadKubeconfig();
      break;
  }
}

/** Opens on Ctrl+K / Cmd+K anywhere in the window. */
export function usePaletteShortcut(): void {
  const actions = useActions();
  const open = useLumen((s) => s.ui.paletteOpen);
  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'k') {
        event.preventDefault();
        actions.setPaletteOpen(!open);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [actions, open]);
}

export function CommandPalette() {
  const open = useLumen((s) => s.ui.paletteOpen);
  return open ? <PaletteDialog /> : null;
}

function PaletteDialog() {
  const actions = useActions();
  const state = useLumen((s) => s);
  const commands = useMemo(() => buildCommands(state), [state]);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const listId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const results = useMemo(() => filterCommands(commands, query), [commands, query]);
  const previousFocus = useRef<Element | null>(null);

  useEffect(() => {
    previousFocus.current = document.activeElement;
    inputRef.current?.focus();
    return () => (previousFocus.current as HTMLElement | null)?.focus?.();
  }, []);
  useEffect(() => setActive(0), [query]);

  const close = () => actions.setPaletteOpen(false);
  const choose = (index: number) => {
    const command = results[index];
    if (!command) return;
    close();
    run(command.action, actions);
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      close();
    } else if (event.key === 'ArrowDown') {
      event.preventDefault();
      setActive((i) => Math.min(results.length - 1, i + 1));
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      setActive((i) => Math.max(0, i - 1));
    } else if (event.key === 'Enter') {
      event.preventDefault();
      choose(active);
    }
  };

  let lastGroup = '';
  return (
    <div className="palette-backdrop" onMouseDown={close}>
      <div className="palette" role="dialog" aria-modal="true" aria-label="Command palette" onMouseDown={(e) => e.stopPropagation()} onKeyDown={onKeyDown}>
        <div className="palette-input">
          <Icon name="search" size={16} />
          <input
            ref={inputRef}
            role="combobox"
            aria-label="Command"
            aria-expanded="true"
            aria-controls={listId}
            aria-activedescendant={results[active] ? `${listId}-${active}` : undefined}
            placeholder="Switch context, go to a view…"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            spellCheck={false}
            autoComplete="off"
          />
          <kbd>Esc</kbd>
        </div>
        <ul className="palette-list" role="listbox" id={listId} aria-label="Commands">
          {results.length === 0 && <li className="palette-empty">No command matches “{query}”</li>}
          {results.map((command, index) => {
            const header = command.group !== lastGroup ? command.group : null;
            lastGroup = command.group;
            return (
              <li key={command.id} role="presentation">
                {header && <div className="palette-group" aria-hidden="true">{header}</div>}
                <div
                  id={`${listId}-${index}`}
                  role="option"
                  aria-selected={index === active}
                  className={`palette-option${index === active ? ' active' : ''}`}
                  onMouseMove={() => setActive(index)}
                  onClick={() => choose(index)}
                >
                  <span className="palette-title">
                    {command.warning && <Icon name="alert" size={13} className="warn" />}
                    {command.title}
                  </span>
                  <span className="palette-subtitle mono">{command.subtitle}</span>
                </div>
              </li>
            );
          })}
        </ul>
      </div>
    </div>
  );
}
