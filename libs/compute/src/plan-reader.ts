import { Construct } from 'constructs';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';

/**
 * The Kubernetes group the delivery plan roles are mapped to (their EKS access entries carry it, with no access
 * policy). EKS refuses group names starting with `system:`.
 */
export const PLAN_READER_GROUP = 'awp-plan-readers';

/**
 * What a plan of the workloads stack reads, exactly: the kinds that stack manages (refresh GETs each object) and the
 * ConfigMaps in which Helm keeps its releases (helm_driver "configmap": list by label, then get). Read verbs only;
 * no Secrets, no pods, pods/log or pods/exec (AmazonEKSViewPolicy, which this replaces, reads pod logs).
 * Namespaces: a Role in namespace X admits GET of the Namespace object X itself (the API server authorizes
 * /api/v1/namespaces/X with namespace X), which is all a refresh of kubernetes_namespace_v1 needs.
 */
export const PLAN_READER_RULES: readonly { readonly apiGroups: readonly string[]; readonly resources: readonly string[] }[] = [
  { apiGroups: [''], resources: ['configmaps', 'namespaces', 'serviceaccounts', 'services'] },
  { apiGroups: ['apps'], resources: ['deployments'] },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'] },
  { apiGroups: ['batch'], resources: ['jobs'] },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'] },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'] },
  // The Roles and RoleBindings below: the workloads stack manages them too, so its plans refresh them.
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings', 'roles'] },
];
export const PLAN_READER_VERBS = ['get', 'list', 'watch'] as const;

export interface PlanReaderRbacProps {
  /** Namespaces the workloads stack manages objects or Helm releases in. */
  readonly namespaces: readonly string[];
  /** @default PLAN_READER_GROUP */
  readonly group?: string;
  /** Name of the Role and RoleBinding in each namespace. @default 'awp-plan-reader' */
  readonly name?: string;
}

/**
 * A Role (PLAN_READER_RULES, read verbs) and a RoleBinding to the plan readers' group in each namespace: core
 * kinds only (rbac.authorization.k8s.io/v1), namespaced so that the plan can refresh them itself (a ClusterRole is
 * cluster-scoped: a RoleBinding could not grant reading it).
 *
 * Bootstrap: the first plan of the workloads stack runs before this RBAC exists, when the group can read nothing —
 * and there is nothing to read yet (no state, no object to refresh; new objects are planned without API reads). The
 * first apply (the apply role, cluster-admin) creates it with everything else; every later plan reads through it.
 */
export class PlanReaderRbac extends Construct {
  constructor(scope: Construct, id: string, props: PlanReaderRbacProps) {
    super(scope, id);
    const name = props.name ?? 'awp-plan-reader';
    const labels = { 'app.kubernetes.io/part-of': 'aws-web-platform', 'app.kubernetes.io/managed-by': 'terraform' };
    props.namespaces.forEach((namespace, i) => {
      const role = new RoleV1(this, `role-${i}`, {
        metadata: { name, namespace, labels },
        rule: PLAN_READER_RULES.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...PLAN_READER_VERBS] })),
      });
      new RoleBindingV1(this, `binding-${i}`, {
        metadata: { name, namespace, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
        subject: [{ kind: 'Group', name: props.group ?? PLAN_READER_GROUP, apiGroup: 'rbac.authorization.k8s.io' }],
      });
    });
  }
}
