// .github/scripts/deployed.cjs on its own, against the fake GitHub: the commit an environment runs is what
// pull-request plans use as the image tag and what drift plans at (issue 18 B1, W4), so who may vouch for a
// deployment, a failed newer one, no deployment yet and an API failure each have a test here.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { BOT, FakeGitHub, OWNER, REPO } from '../../shared/testing/fake-github';
import { ROOT } from './pipeline';

const gh = new FakeGitHub();
beforeAll(() => gh.start());
afterAll(() => gh.stop());
beforeEach(() => {
  gh.deployments = [];
  gh.requests = [];
});

const sha = (c: string) => c.repeat(40);
/** Runs the script as a step does (async: the fake GitHub answers from this process). */
function deployed(env: string, extra: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, '.github/scripts/deployed.cjs'), env], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_PROXY: '127.0.0.1', GITHUB_API_URL: gh.url, GITHUB_REPOSITORY: `${OWNER}/${REPO}`, GH_TOKEN: 'ghs_read', ...extra } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('deployed.cjs: the commit an environment runs', () => {
  it('is the newest deployment whose latest status by the workflows is success; a newer failed one and one vouched for by someone else are skipped', async () => {
    gh.addDeployment('prod', sha('a'), ['success']);
    gh.addDeployment('staging', sha('9'), ['success']); // another environment
    gh.addDeployment('prod', sha('b'), ['success'], 'mallory'); // created by a person's token
    const statusByPerson = gh.addDeployment('prod', sha('c'), ['success']);
    statusByPerson.statuses[0].creator = 'mallory';
    gh.addDeployment('prod', sha('d'), ['failure', 'in_progress']);
    expect(await deployed('prod')).toEqual({ code: 0, stdout: `${sha('a')}\n`, stderr: '' });
    expect(gh.requests.every((r) => r.method === 'GET' && r.authorization === 'Bearer ghs_read')).toBe(true);
    expect((await deployed('prod', { TRUSTED_CREATORS: `mallory,${BOT}` })).stdout).toBe(`${sha('c')}\n`);
  });

  it('finds it behind more failed deployments than one page holds', async () => {
    gh.addDeployment('dev', sha('a'), ['success']);
    for (let i = 0; i < 31; i++) gh.addDeployment('dev', sha('f'), ['failure']);
    expect(await deployed('dev')).toEqual({ code: 0, stdout: `${sha('a')}\n`, stderr: '' });
  });

  it('prints nothing before the first successful deployment, and fails (no guess) when the API fails or the name is bad', async () => {
    gh.addDeployment('dev', sha('a'), ['failure']);
    expect(await deployed('dev')).toEqual({ code: 0, stdout: '', stderr: '' });
    const down = await deployed('dev', { GITHUB_API_URL: `${gh.url}/nowhere` });
    expect([down.code, down.stdout, down.stderr]).toEqual([1, '', 'deployed.cjs: GitHub API /repos/acme/platform/deployments?environment=dev&per_page=100&page=1: 404\n']);
    expect(await deployed('Prod; rm -rf')).toEqual({ code: 1, stdout: '', stderr: 'deployed.cjs: usage: deployed.cjs <env>\n' });
  });
});
