import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import DashboardView from '@/views/DashboardView.vue'

declare module 'vue-router' {
  interface RouteMeta {
    title?: string
  }
}

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/dashboard' },
  { path: '/dashboard', name: 'dashboard', component: DashboardView, meta: { title: 'Dashboard' } },
  {
    path: '/library',
    name: 'library',
    component: () => import('@/views/LibraryView.vue'),
    meta: { title: 'Library' }
  },
  {
    path: '/setup',
    name: 'setup',
    component: () => import('@/views/SetupWizardView.vue'),
    meta: { title: 'Setup' }
  },
  {
    path: '/media',
    name: 'media',
    component: () => import('@/views/MediaView.vue'),
    meta: { title: 'Media' }
  },
  {
    path: '/pools',
    name: 'pools',
    component: () => import('@/views/PoolsView.vue'),
    meta: { title: 'Pools' }
  },
  {
    path: '/datastores',
    name: 'datastores',
    component: () => import('@/views/DatastoresView.vue'),
    meta: { title: 'Datastores' }
  },
  {
    path: '/backup',
    name: 'backup',
    component: () => import('@/views/BackupView.vue'),
    meta: { title: 'Backup' }
  },
  {
    path: '/restore',
    name: 'restore',
    component: () => import('@/views/RestoreView.vue'),
    meta: { title: 'Restore' }
  },
  {
    path: '/keys',
    name: 'keys',
    component: () => import('@/views/KeysView.vue'),
    meta: { title: 'Keys' }
  },
  {
    path: '/labels',
    name: 'labels',
    component: () => import('@/views/LabelsView.vue'),
    meta: { title: 'Labels' }
  },
  {
    path: '/tasks',
    name: 'tasks',
    component: () => import('@/views/TasksView.vue'),
    meta: { title: 'Tasks' }
  },
  {
    path: '/tasks/:upid',
    name: 'task',
    component: () => import('@/views/TaskDetailView.vue'),
    props: true,
    meta: { title: 'Task log' }
  },
  {
    path: '/settings',
    name: 'settings',
    component: () => import('@/views/SettingsView.vue'),
    meta: { title: 'Settings' }
  },
  { path: '/:rest(.*)*', redirect: '/dashboard' }
]

/** Created after the client took the access token out of the address fragment. */
export function createAppRouter() {
  const router = createRouter({ history: createWebHashHistory(), routes })
  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} — Tapedeck` : 'Tapedeck'
  })
  return router
}
