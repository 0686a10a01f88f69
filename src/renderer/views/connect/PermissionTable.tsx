// Per-permission results of the access reviews run at connect.
import type { Permission } from '../../../shared/contract/index.js';
import { Icon } from '../../components/Icon.js';
import { permissionLabel } from '../../store/connection/selectors.js';

export function PermissionTable({ permissions }: { permissions: readonly Permission[] }) {
  return (
    <section className="subsection">
      <h3>What this user may do</h3>
      <table className="table" aria-label="Permissions">
        <thead>
          <tr>
            <th scope="col">Permission</th>
            <th scope="col">Result</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {permissions.map((p) => {
            const label = permissionLabel(p);
            return (
              <tr key={label} data-allowed={p.allowed}>
                <td className="mono">{label}</td>
                <td>
                  <span className={`pill ${p.allowed ? 'pill-ok' : 'pill-error'}`}>
                    <Icon name={p.allowed ? 'check' : 'cross'} size={12} />
                    {p.allowed ? 'allowed' : 'denied'}
                  </span>
                </td>
                <td className="muted">{p.reason ?? ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
