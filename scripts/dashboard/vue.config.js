// The shell's own webpack/vue-cli configuration, for an app with no extensions
// of its own. ROUTER_BASE and RESOURCE_BASE (set by scripts/build-dashboard.sh)
// place it under /dashboard/.
const shellConfig = require('@rancher/shell/vue.config');

module.exports = shellConfig(__dirname, { excludes: [] });
