// partnermatch's GraphiQL page: queries and mutations over HTTP to this very
// address, subscriptions over graphql-transport-ws to the same address.
//
// GraphiQL's createFetcher, given a subscriptionUrl, opens the websocket with the
// bundled graphql-ws client and sends the headers editor's JSON as the
// connection_init payload, which is where the server reads
// {"Authorization": "Bearer …"}; queries carry the same headers over HTTP.
(function () {
  'use strict';
  // The page is served by the GraphQL endpoint itself, so its address is the
  // endpoint's, whatever host, port or path prefix a proxy gives it.
  var url = window.location.origin + window.location.pathname;
  var subscriptionUrl = url.replace(/^http/, 'ws');
  var fetcher = GraphiQL.createFetcher({ url: url, subscriptionUrl: subscriptionUrl });
  var headers = JSON.stringify(
    { Authorization: 'Bearer <paste a token from: partnermatch token --role ADMIN>' },
    null,
    2
  );
  var query = [
    '# Paste a bearer token into the Headers editor below, then run:',
    '{',
    '  viewer {',
    '    role',
    '  }',
    '}',
    ''
  ].join('\n');
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: query,
      defaultHeaders: headers,
      defaultEditorToolsVisibility: 'headers',
      // A token is a credential: keep it out of localStorage.
      shouldPersistHeaders: false
    })
  );
})();
